/**
 * A run cut off by its store: a write failed (a full disk, an I/O error), so nothing more could be
 * recorded and the engine started nothing more. The run stays as the store last recorded it —
 * `running` or `rolling_back` — which is what `marshal resume` continues: like Ctrl-C, it exits
 * 130 (interrupted, resumable) and says how to go on; unlike Ctrl-C, it also says why.
 */
import { MarshalError, toMarshalError } from '../model/errors.js';
import type { RunStore } from '../model/store.js';
import { color, type GlobalOptions, print, printJson } from './output.js';
import { versionsText } from './render/run.js';
import { readRunTime, runTime, timeFields, tookText } from './render/took.js';

/** Exit status of a run that stopped because it could not be recorded: interrupted, resumable. */
export const STORE_STOP_EXIT = 130;

/** Whether `error`, thrown while a run executed, is its store failing (see the module comment). */
export function isStoreFailure(error: unknown): error is MarshalError {
  return error instanceof MarshalError && error.code === 'STORE_ERROR';
}

/** Prints the outcome of run `runId` stopped by `error` and returns the exit status. */
export async function reportStoreStop(
  globals: GlobalOptions,
  store: RunStore,
  runId: number,
  error: MarshalError,
): Promise<number> {
  // Reading usually still works when writing does not (a full disk); the summary is only a courtesy.
  const run = await store.getRunSummary(runId).catch(() => undefined);
  const time = run && (await readRunTime(store, run).catch(() => runTime(run, [])));
  const summary = run && time && { ...run, ...timeFields(time) };
  const resume = `marshal resume ${runId}`;
  const why = error.hint ? `${error.hint}, then` : 'once the store can be written again,';
  if (globals.json) {
    printJson({
      run: summary ?? { id: runId },
      error: { ...toMarshalError(error).toJSON(), hint: `${why} ${resume}` },
      resumable: true,
      exitCode: STORE_STOP_EXIT,
    });
    return STORE_STOP_EXIT;
  }
  process.stderr.write(`${color.red('error[STORE_ERROR]')}: ${error.message}\n`);
  const head =
    run === undefined || time === undefined
      ? `Run #${runId} ${color.yellow('interrupted')}`
      : `Run #${runId} ${color.yellow('interrupted')} after ${tookText(time)} — ${run.kind} of ${run.environment}: ${versionsText(run.changes)}`;
  print(
    [
      color.bold(head),
      `  the store could not record it, so nothing more was started: ${error.message}`,
      color.dim('  steps in flight are not recorded as finished: resume takes them up again, status first'),
      `  resumable: ${why} ${resume}`,
    ].join('\n'),
  );
  return STORE_STOP_EXIT;
}
