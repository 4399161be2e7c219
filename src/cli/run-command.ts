/**
 * What deploy, rollback and resume share: live progress, Ctrl-C handling
 * (the run stops cleanly and stays resumable; a rollback is not
 * interrupted), the closing summary and the exit status.
 */
import { type RunnerDeps, type RunOptions, type RunOutcome, resumeRun } from '../engine/index.js';
import { MarshalError } from '../model/errors.js';
import type { Plan } from '../model/plan.js';
import { exitCodeForRunState, type RunRecord } from '../model/run.js';
import { isRollbackStep } from '../model/step-ref.js';
import type { LockInfo, RunStore } from '../model/store.js';
import { runnerDeps } from './context.js';
import { color, type GlobalOptions, outputMode, print, printJson } from './output.js';
import { renderPlan } from './render/plan.js';
import { Progress } from './render/progress.js';
import { renderOutcome } from './render/run.js';
import { readRunTime, timeFields } from './render/took.js';
import { isStoreFailure, reportStoreStop } from './store-stop.js';
import { tuneForRun } from './tuning.js';

export async function runWithProgress(
  globals: GlobalOptions,
  store: RunStore,
  environment: string,
  wait: boolean,
  start: (deps: RunnerDeps, options: RunOptions) => Promise<RunOutcome | null>,
  resumed = false,
): Promise<number> {
  const mode = outputMode(globals);
  let progress: Progress | undefined;
  let planned: Plan | undefined;
  let rollingBack = false;
  let runId: number | undefined;
  const deps = await runnerDeps(store, {
    onLog: (line) => progress?.onLog(line),
    onResumed: (steps) => progress?.onResumed(steps),
    onEvents: (events) => {
      for (const e of events) if (e.type === 'run.state') rollingBack = e.data.state === 'rolling_back';
      progress?.onEvents(events);
    },
  });
  const controller = new AbortController();
  const note = (text: string) => process.stderr.write(`${color.yellow(text)}\n`);
  const onSignal = (signal: NodeJS.Signals) => {
    if (rollingBack) {
      note(
        'a rollback is in progress and cannot be interrupted; it will finish (kill -9 leaves it resumable)',
      );
    } else if (!controller.signal.aborted) {
      note(`${signal}: stopping; steps in flight are stopped and the run stays resumable`);
      controller.abort(new MarshalError('CANCELLED', `interrupted by ${signal}`));
    }
  };
  // A closed terminal (SIGHUP) stops the run cleanly too: it stays resumable.
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  for (const s of signals) process.on(s, onSignal);
  try {
    let outcome: RunOutcome | null;
    try {
      outcome = await start(deps, {
        signal: controller.signal,
        wait,
        onWaiting: (holder: LockInfo) =>
          note(
            `waiting for ${environment}: locked by run #${holder.runId} (${holder.actor}, pid ${holder.pid})`,
          ),
        onPlanned: (plan) => {
          planned = plan;
          tuneForRun(plan);
          progress = new Progress(mode, plan, globals.verbose);
        },
        onCreated: (id) => {
          runId = id;
          progress?.start(id, resumed);
        },
      });
    } catch (error) {
      // A run its store could not record stays resumable: exit 130, with the cause and the way on.
      if (runId === undefined || !isStoreFailure(error)) throw error;
      progress?.stop();
      return await reportStoreStop(globals, store, runId, error);
    }
    progress?.stop();
    if (outcome === null) {
      if (globals.json) printJson({ changes: false, plan: planned });
      else if (planned) print(renderPlan(planned, false));
      return 0;
    }
    const run = await store.getRunSummary(outcome.runId);
    if (run === undefined)
      throw new MarshalError('INTERNAL', `run #${outcome.runId} vanished from the store`);
    const counts = await store.countSteps(outcome.runId);
    // A succeeded run can have hundreds of thousands of steps: only failures and rollbacks are listed.
    const clean = outcome.state === 'succeeded' && (counts.failed ?? 0) === 0;
    const steps = clean ? [] : await store.getSteps(outcome.runId, { states: ['failed', 'succeeded'] });
    const listed = steps.filter((s) => s.state === 'failed' || isRollbackStep(s.stepId));
    const exitCode = exitCodeForRunState(outcome.state);
    const time = await readRunTime(store, run);
    if (globals.json) {
      printJson({
        run: { ...run, ...timeFields(time) },
        counts,
        failedOrRollback: listed,
        warnings: outcome.warnings ?? [],
        exitCode,
      });
    } else print(renderOutcome(run, counts, listed, time));
    return exitCode;
  } finally {
    progress?.stop();
    for (const s of signals) process.off(s, onSignal);
    await deps.close();
  }
}

/** Continues a run (resume, approve, reject) with the same live progress and exit status as a deploy. */
export function resumeWithProgress(
  globals: GlobalOptions,
  store: RunStore,
  run: RunRecord,
  wait: boolean,
): Promise<number> {
  return runWithProgress(
    globals,
    store,
    run.environment,
    wait,
    (deps, options) => {
      options.onPlanned?.(run.plan);
      return resumeRun(deps, run.id, options);
    },
    true,
  );
}
