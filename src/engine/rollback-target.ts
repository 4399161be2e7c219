/**
 * `marshal rollback <env> [--to <run|version>]`: which version each service
 * goes back to. A manual rollback is a deploy of earlier versions; this
 * decides the versions from the history.
 */
import { MarshalError } from '../model/errors.js';
import type { RunRecord, TargetState } from '../model/run.js';
import type { RunStore } from '../model/store.js';

export type RollbackTo = { run: number } | { version: string } | undefined;

/** Versions a succeeded run left live, by service. */
function versionsOf(run: RunRecord): Record<string, string> {
  const out: Record<string, string> = {};
  for (const u of run.plan.unchanged) if (u.version !== null) out[u.service] = u.version;
  for (const s of run.plan.services) out[s.name] = s.to;
  return out;
}

function liveVersion(targets: TargetState[], service: string): string | null {
  return targets.find((t) => t.service === service)?.version ?? null;
}

export async function rollbackVersions(
  store: RunStore,
  environment: string,
  services: string[],
  to: RollbackTo,
): Promise<Record<string, string>> {
  if (to !== undefined && 'version' in to) return Object.fromEntries(services.map((s) => [s, to.version]));
  const succeeded = await store.listRuns({ environment, states: ['succeeded'], limit: 1000 });
  if (to !== undefined) {
    const run = succeeded.find((r) => r.id === to.run) ?? (await store.getRun(to.run));
    if (run === undefined || run.environment !== environment) {
      throw new MarshalError('NOT_FOUND', `no run #${to.run} in ${environment}`, {
        hint: 'see `marshal history`',
      });
    }
    if (run.state !== 'succeeded') {
      throw new MarshalError(
        'ARGUMENT_INVALID',
        `run #${to.run} did not succeed (${run.state}); roll back to a succeeded run`,
      );
    }
    const versions = versionsOf(run);
    const out: Record<string, string> = {};
    for (const s of services) if (versions[s] !== undefined) out[s] = versions[s] as string;
    return out;
  }
  // Default: for each service, the newest version a succeeded run deployed that is not live now.
  const targets = await store.getTargets(environment);
  const out: Record<string, string> = {};
  for (const service of services) {
    const live = liveVersion(targets, service);
    for (const run of succeeded) {
      const version = versionsOf(run)[service];
      if (version !== undefined && version !== live) {
        out[service] = version;
        break;
      }
    }
  }
  if (Object.keys(out).length === 0) {
    throw new MarshalError('NOT_FOUND', `no earlier release to roll back to in ${environment}`, {
      hint: 'pass --to <run|version>',
    });
  }
  return out;
}
