/**
 * What deploy, rollback and resume share: live progress, Ctrl-C handling
 * (the run stops cleanly and stays resumable; a rollback is not
 * interrupted), the closing summary and the exit status.
 */
import type { RunnerDeps, RunOptions, RunOutcome } from '../engine/index.js';
import { MarshalError } from '../model/errors.js';
import type { Plan } from '../model/plan.js';
import { exitCodeForRunState } from '../model/run.js';
import type { LockInfo, RunStore } from '../model/store.js';
import { runnerDeps } from './context.js';
import { color, type GlobalOptions, outputMode, print, printJson } from './output.js';
import { Progress } from './render/progress.js';
import { renderOutcome } from './render/run.js';

export async function runWithProgress(
  globals: GlobalOptions,
  store: RunStore,
  plan: Plan,
  wait: boolean,
  start: (deps: RunnerDeps, options: RunOptions) => Promise<RunOutcome>,
): Promise<number> {
  const mode = outputMode(globals);
  const progress = new Progress(mode, plan, globals.verbose);
  const deps = await runnerDeps(store, progress);
  const controller = new AbortController();
  let rollingBack = false;
  const note = (text: string) => process.stderr.write(`${color.yellow(text)}\n`);
  const onSignal = (signal: NodeJS.Signals) => {
    if (rollingBack) {
      note(
        'a rollback is in progress and cannot be interrupted; it will finish (kill -9 leaves it resumable)',
      );
      return;
    }
    if (!controller.signal.aborted) {
      note(`${signal}: stopping; steps in flight are stopped and the run stays resumable`);
      controller.abort(new MarshalError('CANCELLED', `interrupted by ${signal}`));
    }
  };
  const observe = deps.observer;
  deps.observer = {
    onLog: (line) => observe?.onLog?.(line),
    onEvents: (events) => {
      for (const e of events) if (e.type === 'run.state') rollingBack = e.data.state === 'rolling_back';
      observe?.onEvents?.(events);
    },
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const outcome = await start(deps, {
      signal: controller.signal,
      wait,
      onWaiting: (holder: LockInfo) =>
        note(
          `waiting for ${plan.environment}: locked by run #${holder.runId} (${holder.actor}, pid ${holder.pid})`,
        ),
      onCreated: (runId) => progress.start(runId),
    });
    progress.stop();
    const run = await store.getRun(outcome.runId);
    const steps = await store.getSteps(outcome.runId);
    if (run === undefined)
      throw new MarshalError('INTERNAL', `run #${outcome.runId} vanished from the store`);
    if (globals.json)
      printJson({ run: { ...run, plan: undefined }, steps, exitCode: exitCodeForRunState(outcome.state) });
    else print(renderOutcome(run, steps));
    return exitCodeForRunState(outcome.state);
  } finally {
    progress.stop();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await deps.close();
  }
}
