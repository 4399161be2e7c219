import type { TargetGroup } from '../../model/run.js';
import { checkEnvironment, openExistingStore } from '../context.js';
import { color, type GlobalOptions, print, printJson, table } from '../output.js';
import { stateText } from '../render/run.js';

/** Mixed versions name their targets up to this many; beyond, they are counted (fleets of thousands). */
const NAMED_TARGETS = 5;

/** One service's version column: its live version, or each version with its targets when mixed. */
export function versionsOf(groups: readonly TargetGroup[]): string {
  // A target a run failed on (or is changing) shows as unhealthy: it is redeployed by the next deploy.
  const label = (g: TargetGroup) => `${g.version ?? '—'}${g.healthy ? '' : ' (unhealthy)'}`;
  const [only] = groups;
  if (groups.length === 1 && only !== undefined)
    return only.healthy ? color.bold(label(only)) : color.red(label(only));
  const described = groups.map(
    (g) => `${label(g)} (${g.targets === null ? `${g.count} targets` : g.targets.join(', ')})`,
  );
  return color.yellow(described.join(', '));
}

/** Items by environment × service, in the order first met (appended in place: a fleet has thousands). */
function byService<T extends { environment: string; service: string }>(items: Iterable<T>): T[][] {
  const lists = new Map<string, T[]>();
  for (const item of items) {
    const key = `${item.environment}\u0000${item.service}`;
    const list = lists.get(key);
    if (list === undefined) lists.set(key, [item]);
    else list.push(item);
  }
  return [...lists.values()];
}

/** The text table: one row per environment × service, from the store's groups of targets. */
function serviceRows(groups: readonly TargetGroup[]): string[][] {
  return byService(groups).map((gs) => {
    const first = gs[0] as TargetGroup;
    let count = 0;
    let runId = first.runId;
    let updated = first.updatedAt;
    for (const g of gs) {
      count += g.count;
      runId = Math.max(runId, g.runId);
      updated = Math.max(updated, g.updatedAt);
    }
    return [
      first.environment,
      first.service,
      versionsOf(gs),
      String(count),
      `#${runId}`,
      new Date(updated).toISOString(),
    ];
  });
}

export async function run(
  globals: GlobalOptions,
  environment: string | undefined,
  flags: { probe?: boolean } = {},
): Promise<number> {
  if (flags.probe === true) return (await import('./status-probe.js')).probe(globals, environment);
  const store = await openExistingStore(globals);
  await checkEnvironment(globals, store, environment);
  if (store === undefined) {
    if (globals.json) printJson({ services: [], activeRuns: [] });
    else print('nothing deployed yet');
    return 0;
  }
  try {
    const active = await store.listRuns({
      ...(environment ? { environment } : {}),
      states: ['pending', 'running', 'waiting', 'rolling_back'],
    });
    if (globals.json) {
      // Every target, as asked; the text table below reads only their groups.
      printJson({
        services: byService(await store.getTargets(environment)).map((ts) => ({
          environment: ts[0]?.environment,
          service: ts[0]?.service,
          targets: ts.map((t) => ({
            target: t.target,
            version: t.version,
            healthy: t.healthy,
            previous: t.previous,
            runId: t.runId,
            updatedAt: t.updatedAt,
          })),
        })),
        activeRuns: active.map((r) => ({
          id: r.id,
          environment: r.environment,
          state: r.state,
          actor: r.actor,
        })),
      });
      return 0;
    }
    const rows = serviceRows(await store.targetGroups(environment, NAMED_TARGETS));
    if (rows.length === 0)
      print(environment ? `nothing deployed to ${environment} yet` : 'nothing deployed yet');
    else print(table(rows, ['ENVIRONMENT', 'SERVICE', 'VERSION', 'TARGETS', 'RUN', 'UPDATED']));
    for (const r of active)
      print(`\nactive: run #${r.id} ${stateText(r.state)} in ${r.environment} (${r.actor})`);
    return 0;
  } finally {
    await store.close();
  }
}
