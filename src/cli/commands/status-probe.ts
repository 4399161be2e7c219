/**
 * `marshal status --probe`: for every target the store records, look at what
 * really runs there — the link, the recorded process, unrecorded instances,
 * the port's listener — and probe its health once; show where they differ.
 * Read-only: nothing on a target or in the store changes.
 */
import { MarshalError } from '../../model/errors.js';
import type { Plan } from '../../model/plan.js';
import type { Project } from '../../model/project.js';
import type { StepIO } from '../../model/provider.js';
import type { TargetState } from '../../model/run.js';
import type { RunStore } from '../../model/store.js';
import { buildPlan, probeOf, targetContext } from '../../plan/index.js';
import { createProviders, type Providers } from '../../providers/index.js';
import { openExistingStore, readProject } from '../context.js';
import { color, type GlobalOptions, print, printJson, table } from '../output.js';
import { driftOf, liveVersion, type ProbeResult } from '../render/drift.js';

/** Targets probed at once: enough for a fleet, few enough for its hosts' sshd. */
const PARALLEL = 16;

interface Row extends ProbeResult {
  environment: string;
  service: string;
  target: string;
  /** False when a run failed or is changing it (status says "unhealthy"). */
  healthy: boolean;
  drift: string[];
}

const quietIO = (): StepIO => ({ signal: new AbortController().signal, log: () => {} });

/** The most common recorded version of each service of `states`. */
function recordedVersions(states: readonly TargetState[]): Record<string, string> {
  const counts = new Map<string, Map<string, number>>();
  for (const t of states) {
    if (t.version === null) continue;
    const byVersion = counts.get(t.service) ?? new Map<string, number>();
    byVersion.set(t.version, (byVersion.get(t.version) ?? 0) + 1);
    counts.set(t.service, byVersion);
  }
  const out: Record<string, string> = {};
  for (const [service, byVersion] of counts)
    out[service] = [...byVersion].sort((a, b) => b[1] - a[1])[0]?.[0] as string;
  return out;
}

async function probeEnvironment(
  project: Project,
  store: RunStore,
  providers: Providers,
  environment: string,
): Promise<Row[]> {
  const states = (await store.getTargets(environment)).filter(
    (t) => t.version !== null && project.config.services[t.service] !== undefined,
  );
  const set = recordedVersions(states);
  if (Object.keys(set).length === 0) return [];
  // A forced plan of what is recorded: every target, rendered as a deploy of its version would be.
  const plan: Plan = buildPlan(
    project,
    { environment, services: Object.keys(set), set, force: true, estimate: false },
    await store.liveTargets(environment),
  );
  const byKey = new Map(states.map((t) => [`${t.service}\u0000${t.target}`, t]));
  const jobs: (() => Promise<Row>)[] = [];
  for (const service of plan.services) {
    const provider = providers.get(service.provider);
    for (const target of service.targets) {
      const state = byKey.get(`${service.name}\u0000${target.host.name}`);
      if (state?.version == null) continue;
      const recorded = state.version;
      jobs.push(async () => {
        const probe = probeOf(plan, service, target, recorded, state.slot);
        const context = targetContext(plan, service, target);
        const inspection = provider.inspect
          ? await provider.inspect(context, probe.inspect, quietIO())
          : null;
        let health: ProbeResult['health'] = null;
        if (probe.health !== null && inspection !== null) {
          health = await provider.apply(probe.health, context, quietIO()).then(
            () => ({ ok: true as const }),
            (err: unknown) => ({ ok: false as const, reason: (err as Error).message }),
          );
        }
        const result: ProbeResult = {
          recorded,
          spec: probe.inspect,
          inspection,
          health,
          hasRelease: service.phases.some((p) => p.kind === 'upload'),
        };
        return {
          ...result,
          environment,
          service: service.name,
          target: target.host.name,
          healthy: state.healthy,
          drift: driftOf(result),
        };
      });
    }
  }
  const rows: Row[] = new Array(jobs.length);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < jobs.length; i = next++) rows[i] = await (jobs[i] as () => Promise<Row>)();
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL, jobs.length) }, worker));
  return rows;
}

function stateCell(row: Row): string {
  if (row.inspection === null) return color.dim('not probed (the provider cannot inspect targets)');
  return row.drift.length === 0 ? color.green('ok') : color.red(row.drift.join('; '));
}

export async function probe(globals: GlobalOptions, environment: string | undefined): Promise<number> {
  const project = await readProject(globals, true);
  if (environment !== undefined && project.config.environments[environment] === undefined)
    throw new MarshalError('ARGUMENT_INVALID', `unknown environment "${environment}"`, {
      hint: `environments: ${Object.keys(project.config.environments).join(', ')}`,
    });
  const store = await openExistingStore(globals);
  const providers = createProviders();
  const rows: Row[] = [];
  try {
    const envs = environment === undefined ? Object.keys(project.config.environments) : [environment];
    for (const env of envs)
      if (store !== undefined) rows.push(...(await probeEnvironment(project, store, providers, env)));
  } finally {
    await providers.closeAll();
    await store?.close();
  }
  const drifted = rows.filter((r) => r.drift.length > 0);
  if (globals.json) {
    printJson({
      targets: rows.map((r) => ({ ...r, live: liveVersion(r) })),
      drifted: drifted.length,
    });
    return 0;
  }
  if (rows.length === 0) {
    print(environment ? `nothing deployed to ${environment} yet` : 'nothing deployed yet');
    return 0;
  }
  print(
    table(
      rows.map((r) => [
        r.environment,
        r.service,
        r.target,
        r.healthy ? r.recorded : `${r.recorded} (unhealthy)`,
        liveVersion(r) ?? '—',
        stateCell(r),
      ]),
      ['ENVIRONMENT', 'SERVICE', 'TARGET', 'RECORDED', 'LIVE', 'STATE'],
    ),
  );
  if (drifted.length > 0) {
    print(`\n${drifted.length} of ${rows.length} targets differ from the record.`);
    for (const env of new Set(drifted.map((r) => r.environment))) {
      const here = drifted.filter((r) => r.environment === env);
      const services = [...new Set(here.map((r) => r.service))];
      const sets = services.map((s) => `--set ${s}=${here.find((r) => r.service === s)?.recorded}`);
      print(
        `  redeploy them: marshal deploy ${env} --force --services ${services.join(',')} ${sets.join(' ')}`,
      );
    }
  }
  return 0;
}
