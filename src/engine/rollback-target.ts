/**
 * `marshal rollback <env> [--to <run|version>]`: which version each service
 * goes back to. A manual rollback is a deploy of an earlier release (its
 * normal steps run, with that release's code); this decides the versions
 * from the history of succeeded runs.
 */
import { MarshalError } from '../model/errors.js';
import type { RunSummary, TargetGroup } from '../model/run.js';
import type { RunStore } from '../model/store.js';

export type RollbackTo = { run: number } | { version: string } | undefined;

/** Versions a succeeded run left live, by service. */
function versionsOf(run: RunSummary): Record<string, string> {
  const out: Record<string, string> = {};
  for (const u of run.unchanged) if (u.version !== null) out[u.service] = u.version;
  for (const c of run.changes) out[c.service] = c.to;
  return out;
}

/**
 * What is live per service: its version when every target runs it, healthy; else null ("mixed").
 * From the store's groups of targets, so a fleet's targets are not read one by one.
 */
export function liveVersions(groups: readonly TargetGroup[]): Record<string, string | null> {
  const live: Record<string, string | null> = {};
  for (const g of groups) {
    const version = g.healthy ? g.version : null;
    live[g.service] = g.service in live ? null : version;
  }
  return live;
}

/** The services of `release` (limited to `services`) whose live version differs from it, with its versions. */
function differences(
  release: Record<string, string>,
  live: Record<string, string | null>,
  services: string[],
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const s of services) {
    const version = release[s];
    if (version !== undefined && live[s] !== version) out[s] = version;
  }
  return out;
}

export async function rollbackVersions(
  store: RunStore,
  environment: string,
  services: string[],
  to: RollbackTo,
): Promise<Record<string, string>> {
  const succeeded = await store.listRuns({ environment, states: ['succeeded'], limit: 1000 });
  if (to !== undefined && 'version' in to) {
    const out: Record<string, string> = {};
    for (const s of services) {
      if (succeeded.some((r) => versionsOf(r)[s] === to.version)) out[s] = to.version;
    }
    if (Object.keys(out).length === 0) {
      throw new MarshalError(
        'ARGUMENT_INVALID',
        `no succeeded run deployed ${to.version} to ${environment}`,
        {
          hint: `to deploy a version that never ran here, use \`marshal deploy ${environment} --version ${to.version}\``,
        },
      );
    }
    return out;
  }
  if (to !== undefined) {
    const run = succeeded.find((r) => r.id === to.run) ?? (await store.getRunSummary(to.run));
    if (run === undefined || run.environment !== environment) {
      throw new MarshalError('NOT_FOUND', `no run #${to.run} in ${environment}`, {
        hint: 'see `marshal history`',
      });
    }
    if (run.state !== 'succeeded') {
      throw new MarshalError(
        'ARGUMENT_INVALID',
        `run #${to.run} did not succeed (${run.state}): it left no release to go back to`,
        {
          hint: `choose a succeeded run: \`marshal history ${environment}\``,
        },
      );
    }
    const versions = versionsOf(run);
    return Object.fromEntries(
      services.filter((s) => versions[s] !== undefined).map((s) => [s, versions[s] as string]),
    );
  }
  // Default: back to the last good release — the newest succeeded run — where live differs from
  // it (a failed run left things changed); when live is that release, to the one before it.
  const live = liveVersions(await store.targetGroups(environment, 0));
  for (const run of succeeded) {
    const changes = differences(versionsOf(run), live, services);
    if (Object.keys(changes).length > 0) return changes;
  }
  throw new MarshalError('NOT_FOUND', `no earlier release to roll back to in ${environment}`, {
    hint: 'pass --to <run|version>',
  });
}
