/**
 * Executes a run from its stored plan: the deploy walk, then — when it
 * fails — the rollback walk (engine/rollback.ts), which cannot be cancelled.
 * A run left with nothing to do but what waits for a person ends `waiting`.
 * Used both for new runs and for resumed ones: steps already finished are not
 * run again.
 */
import { setMaxListeners } from 'node:events';
import type { Clock } from '../model/clock.js';
import { MarshalError, type SerializedError } from '../model/errors.js';
import type { ProviderRegistry } from '../model/provider.js';
import { type NewEvent, RESUMED_NOTE, type RunRecord, type RunState } from '../model/run.js';
import type { RunStore } from '../model/store.js';
import type { Traffic } from '../model/traffic.js';
import { buildDeployGraph, STEP } from '../plan/index.js';
import { FailureBudget } from './budget.js';
import { endOnBug } from './internal-error.js';
import { Journal, type RunObserver } from './journal.js';
import { nothingBefore, priorOf } from './prior.js';
import { rollBack } from './rollback.js';
import { gateFailed, runError, skippedEvents, walkGraph } from './walk-graph.js';

export interface ExecuteDeps {
  store: RunStore;
  providers: ProviderRegistry;
  clock: Clock;
  observer?: RunObserver;
  /** Routers and analyses (blue-green, canary); absent where no service needs them. */
  traffic?: Traffic;
}

export interface RunOutcome {
  runId: number;
  state: RunState;
  error: SerializedError | null;
  /** A succeeded run's failed targets within their budget. */
  warnings?: string[];
}

const NEVER = new AbortController().signal;

export async function executeRun(
  deps: ExecuteDeps,
  runId: number,
  options: { signal?: AbortSignal; run?: RunRecord } = {},
): Promise<RunOutcome> {
  const { store, clock } = deps;
  // A run just created is passed in: its plan need not be read back (it can be large).
  const run = options.run ?? (await store.getRun(runId));
  if (run === undefined) throw new MarshalError('NOT_FOUND', `no run #${runId}`);
  const plan = run.plan;
  const journal = new Journal(store, deps.observer);
  const state = async (next: RunState, error?: SerializedError, note?: string) => {
    const data: NewEvent & { type: 'run.state' } = {
      type: 'run.state',
      runId,
      at: clock.now(),
      data: { state: next },
    };
    if (error) data.data.error = error;
    if (note) data.data.note = note;
    await journal.record(data);
  };
  const stepMap = async () => new Map((await store.getSteps(runId)).map((s) => [s.stepId, s]));
  // A run just created has done nothing yet.
  const prior = options.run === undefined ? await priorOf(store, runId, plan) : nothingBefore();
  if (options.run === undefined) deps.observer?.onResumed?.([...prior.steps.values()]);
  const signal = options.signal ?? NEVER;
  // Every step in flight listens to the run's signal: hundreds at once is expected, not a leak.
  setMaxListeners(0, signal);
  // What the deploy walk and the rollback walk share.
  const common = {
    plan,
    runId,
    journal,
    providers: deps.providers,
    clock,
    ...(deps.traffic ? { traffic: deps.traffic } : {}),
  };

  try {
    let failure: SerializedError | undefined;
    if (run.state !== 'rolling_back') {
      // Not awaited alone: the first steps' start events join its commit, and a step acts
      // only once its own events are durable, so nothing runs before `running` is on disk.
      // A resumed run begins a new span of work: durations leave out the time it lay dead or waited.
      const running = state('running', undefined, options.run === undefined ? RESUMED_NOTE : undefined);
      running.catch(() => {}); // awaited below; a failed commit also fails every step with it
      const graph = buildDeployGraph(plan);
      const budget = new FailureBudget(plan);
      const result = await walkGraph(
        { ...common, graph, signal, prior, budget },
        {
          // A store that cannot record stops the walk as an interruption does: nothing acts unrecorded.
          signal: AbortSignal.any([signal, journal.failed]),
          // A failed target within its service's budget does not stop the rollout; one over it does.
          stopsWalk: (v) =>
            graph.kind[v] !== STEP || budget.fail(graph.service[v] as number, graph.target[v] as number),
          // Gates of a service that tolerates failures judge them instead of being skipped.
          runsAfterFailure: (v) => graph.kind[v] !== STEP && budget.tolerates(graph.service[v] as number),
        },
      );
      await running;
      // The run stays as the store last recorded it (running): resumable, not failed.
      if (journal.failed.aborted) throw journal.failed.reason;
      const failed =
        result.outcomes.includes('failed') && (budget.anyOver() || gateFailed(graph, result.outcomes));
      const unfinished = result.outcomes.some((o) => o === 'cancelled' || o === 'not-run' || o === 'waiting');
      // After a cancellation, steps that did not run stay pending: resume runs them.
      const skipped = failed || !unfinished ? skippedEvents(graph, result.outcomes, runId, clock.now()) : [];
      // A success commits its skips with the final state, in one batch (nothing acts on a skip);
      // a failure needs every outcome stored before it reads the steps to describe itself.
      if (failed) await journal.recordAll(skipped);
      else journal.enqueueAll(skipped);
      if (!failed && !unfinished) {
        const tolerated = budget.tolerated();
        const note =
          tolerated.length > 0
            ? `succeeded with failed targets within budget: ${tolerated.join(', ')}`
            : undefined;
        await state('succeeded', undefined, note);
        return {
          runId,
          state: 'succeeded',
          error: null,
          ...(tolerated.length > 0 ? { warnings: [note as string] } : {}),
        };
      }
      const waiting = result.outcomes.flatMap((o, v) => (o === 'waiting' ? [graph.stepId(v)] : []));
      if (!failed && waiting.length > 0 && !signal.aborted) {
        // A person must answer (approve or reject): only what waits on their answer is left.
        const note = `waiting for a person at ${waiting.join(', ')}: marshal approve ${runId} (or reject)`;
        await state('waiting', undefined, note);
        return { runId, state: 'waiting', error: null, warnings: [note] };
      }
      if (!failed) {
        // Why it stopped (a signal, a lost lock, a lock the store could not renew) is kept with it.
        const why = signal.reason instanceof Error ? `stopped: ${signal.reason.message}` : 'was interrupted';
        const error = new MarshalError('CANCELLED', `run #${runId} ${why}`).toJSON();
        await state('cancelled', error, 'interrupted');
        return { runId, state: 'cancelled', error };
      }
      failure = runError(graph, result.outcomes, await stepMap(), budget.describeOver());
      if (!plan.rollbackOnFailure) {
        await state('failed', failure, 'rollback disabled (--no-rollback): targets left as they failed');
        return { runId, state: 'failed', error: failure };
      }
      await state('rolling_back', failure);
    } else await state('rolling_back', run.error ?? undefined, RESUMED_NOTE);
    return { runId, ...(await rollBack(store, common, state, failure ?? run.error ?? undefined)) };
  } catch (error) {
    throw await endOnBug(error, runId, state);
  } finally {
    await journal.close();
  }
}
