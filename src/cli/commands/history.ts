import { checkEnvironment, openExistingStore } from '../context.js';
import { type GlobalOptions, print, printJson, table } from '../output.js';
import { stateText, versionsText } from '../render/run.js';
import { type RunTime, readRunTime, timeFields, tookText } from '../render/took.js';

export async function run(
  globals: GlobalOptions,
  environment: string | undefined,
  flags: { limit: number },
): Promise<number> {
  const store = await openExistingStore(globals);
  await checkEnvironment(globals, store, environment);
  if (store === undefined) {
    if (globals.json) printJson({ runs: [] });
    else print('no runs yet');
    return 0;
  }
  try {
    const runs = await store.listRuns({ ...(environment ? { environment } : {}), limit: flags.limit });
    // Working time: a run killed and resumed later did not take the time it lay dead.
    const times = await Promise.all(runs.map((r) => readRunTime(store, r)));
    if (globals.json) {
      printJson({
        runs: runs.map((r, i) => ({
          id: r.id,
          environment: r.environment,
          kind: r.kind,
          state: r.state,
          actor: r.actor,
          reason: r.reason,
          configDigest: r.configDigest,
          createdAt: r.createdAt,
          endedAt: r.endedAt,
          ...timeFields(times[i] as RunTime),
          versions: r.changes,
          error: r.error,
        })),
      });
      return 0;
    }
    if (runs.length === 0) {
      print('no runs yet');
      return 0;
    }
    const rows = runs.map((r, i) => [
      `#${r.id}`,
      new Date(r.createdAt).toISOString().replace('T', ' ').slice(0, 19),
      r.environment,
      r.kind,
      stateText(r.state),
      tookText(times[i] as RunTime),
      r.actor,
      versionsText(r.changes),
    ]);
    print(table(rows, ['RUN', 'STARTED (UTC)', 'ENV', 'KIND', 'STATE', 'TOOK', 'ACTOR', 'VERSIONS']));
    return 0;
  } finally {
    await store.close();
  }
}
