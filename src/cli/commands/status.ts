import type { TargetState } from '../../model/run.js';
import { checkEnvironment, openExistingStore } from '../context.js';
import { color, type GlobalOptions, print, printJson, table } from '../output.js';
import { stateText } from '../render/run.js';

/** One line per environment × service: the live version, or each version with its targets when mixed. */
function versionsOf(targets: TargetState[]): string {
  const byVersion = new Map<string, string[]>();
  for (const t of targets) {
    // A target a run failed on (or is changing) shows as unhealthy: it is redeployed by the next deploy.
    const v = `${t.version ?? '—'}${t.healthy ? '' : ' (unhealthy)'}`;
    byVersion.set(v, [...(byVersion.get(v) ?? []), t.target]);
  }
  if (byVersion.size === 1) {
    const only = [...byVersion.keys()][0] as string;
    return only.endsWith('(unhealthy)') ? color.red(only) : color.bold(only);
  }
  return color.yellow([...byVersion].map(([v, hosts]) => `${v} (${hosts.join(', ')})`).join(', '));
}

export async function run(globals: GlobalOptions, environment: string | undefined): Promise<number> {
  const store = await openExistingStore(globals);
  await checkEnvironment(globals, store, environment);
  if (store === undefined) {
    if (globals.json) printJson({ services: [], activeRuns: [] });
    else print('nothing deployed yet');
    return 0;
  }
  try {
    const targets = await store.getTargets(environment);
    const active = await store.listRuns({
      ...(environment ? { environment } : {}),
      states: ['pending', 'running', 'waiting', 'rolling_back'],
    });
    const groups = new Map<string, TargetState[]>();
    for (const t of targets) {
      const key = `${t.environment}\u0000${t.service}`;
      groups.set(key, [...(groups.get(key) ?? []), t]);
    }
    if (globals.json) {
      printJson({
        services: [...groups.values()].map((ts) => ({
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
    if (groups.size === 0)
      print(environment ? `nothing deployed to ${environment} yet` : 'nothing deployed yet');
    else {
      const rows = [...groups.values()].map((ts) => {
        const first = ts[0] as TargetState;
        const updated = Math.max(...ts.map((t) => t.updatedAt));
        return [
          first.environment,
          first.service,
          versionsOf(ts),
          String(ts.length),
          `#${Math.max(...ts.map((t) => t.runId))}`,
          new Date(updated).toISOString(),
        ];
      });
      print(table(rows, ['ENVIRONMENT', 'SERVICE', 'VERSION', 'TARGETS', 'RUN', 'UPDATED']));
    }
    for (const r of active)
      print(`\nactive: run #${r.id} ${stateText(r.state)} in ${r.environment} (${r.actor})`);
    return 0;
  } finally {
    await store.close();
  }
}
