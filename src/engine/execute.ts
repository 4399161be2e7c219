/**
 * Executes a run from its stored plan: the deploy walk, then — when it
 * fails — the rollback walk, which cannot be cancelled. Used both for new
 * runs and for resumed ones: steps already finished are not run again.
 */
import { setMaxListeners } from 'node:events';
import { type VertexOutcome, walk } from '../dag/walk.js';
import type { Clock } from '../model/clock.js';
import { MarshalError, type SerializedError } from '../model/errors.js';
import type { Plan } from '../model/plan.js';
import type { ProviderRegistry } from '../model/provider.js';
import { type NewEvent, RESUMED_NOTE, type RunRecord, type RunState, type StepRecord } from '../model/run.js';
import { formatStepRef } from '../model/step-ref.js';
import type { RunStore } from '../model/store.js';
import type { Traffic } from '../model/traffic.js';
import {
  buildDeployGraph,
  buildRollbackGraph,
  type RunGraph,
  SERVICE_STEP,
  STEP,
  type TouchedTargets,
} from '../plan/index.js';
import { FailureBudget } from './budget.js';
import { endOnBug } from './internal-error.js';
import { Journal, type RunObserver } from './journal.js';
import { createVisitor } from './step.js';

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

/**
 * What a resumed run already did: its steps that succeeded or were skipped are not run again —
 * target steps and service steps alike (an approved canary goes on from its pause; the weights
 * and analyses before it stand as they were judged).
 */
function knownFrom(
  graph: RunGraph,
  prior: ReadonlyMap<string, StepRecord>,
): (v: number) => VertexOutcome | undefined {
  if (prior.size === 0) return () => undefined;
  return (v) => {
    if (graph.kind[v] !== STEP && graph.kind[v] !== SERVICE_STEP) return undefined;
    const state = prior.get(graph.stepId(v))?.state;
    return state === 'succeeded' ? 'ok' : state === 'skipped' ? 'skipped' : undefined;
  };
}

/** Records why steps that never ran did not run; only failures are root causes. */
function skippedEvents(graph: RunGraph, outcomes: VertexOutcome[], runId: number, at: number): NewEvent[] {
  const events: NewEvent[] = [];
  for (let v = 0; v < outcomes.length; v++) {
    if (graph.kind[v] !== STEP) continue;
    const outcome = outcomes[v];
    if (outcome === 'skipped') {
      events.push({
        type: 'step.skipped',
        runId,
        stepId: graph.stepId(v),
        at,
        data: { reason: 'upstream failed' },
      });
    } else if (outcome === 'not-run') {
      events.push({
        type: 'step.skipped',
        runId,
        stepId: graph.stepId(v),
        at,
        data: { reason: 'run stopped' },
      });
    }
  }
  return events;
}

/** Targets where a step that changes live state started: exactly what a rollback must undo. */
/** Blue-green and canary services whose traffic this run moved: their rollback sends it back first. */
export function routedServices(plan: Plan, steps: readonly StepRecord[]): Set<number> {
  const started = new Set(steps.filter((s) => s.attempts > 0).map((s) => s.stepId));
  const routed = new Set<number>();
  plan.services.forEach((svc, s) => {
    const moves = svc.delivery?.steps.filter((d) => d.kind === 'route' || d.kind === 'promote') ?? [];
    const ids = moves.map((d) =>
      formatStepRef({ service: svc.name, target: null, phase: d.id, rollback: false }),
    );
    if (ids.some((id) => started.has(id))) routed.add(s);
  });
  return routed;
}

export function touchedTargets(plan: Plan, steps: readonly StepRecord[]): TouchedTargets {
  const started = new Set(steps.filter((s) => s.attempts > 0).map((s) => s.stepId));
  const touched: TouchedTargets = new Map();
  plan.services.forEach((svc, s) => {
    const targets: number[] = [];
    svc.targets.forEach((target, t) => {
      const mutated = svc.phases.some(
        (p) =>
          p.mutating &&
          started.has(
            formatStepRef({ service: svc.name, target: target.host.name, phase: p.id, rollback: false }),
          ),
      );
      if (mutated) targets.push(t);
    });
    if (targets.length > 0) touched.set(s, targets);
  });
  return touched;
}

/** A gate that judged a failure budget exceeded. */
function gateFailed(graph: RunGraph, outcomes: VertexOutcome[]): boolean {
  return outcomes.some((o, v) => o === 'failed' && graph.kind[v] !== STEP);
}

function runError(
  graph: RunGraph,
  outcomes: VertexOutcome[],
  steps: ReadonlyMap<string, StepRecord>,
  budgets: string[] = [],
): SerializedError {
  const failed = outcomes.flatMap((o, v) =>
    o === 'failed' && (graph.kind[v] === STEP || graph.kind[v] === SERVICE_STEP) ? [graph.stepId(v)] : [],
  );
  const first = failed[0];
  const cause = first === undefined ? undefined : steps.get(first)?.error;
  const message =
    first === undefined
      ? 'the run failed'
      : `${first} failed${cause ? `: ${cause.message}` : ''}${failed.length > 1 ? ` (and ${failed.length - 1} more)` : ''}`;
  const over = budgets.length > 0 ? `${budgets.join('; ')} — ` : '';
  return { code: 'RUN_FAILED', message: `${over}${message}`, details: { failedSteps: failed } };
}

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
  // A run just created has no steps yet.
  const prior = options.run === undefined ? await stepMap() : new Map<string, StepRecord>();
  if (options.run === undefined) deps.observer?.onResumed?.([...prior.values()]);
  const signal = options.signal ?? NEVER;
  // Every step in flight listens to the run's signal: hundreds at once is expected, not a leak.
  setMaxListeners(0, signal);

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
      const waiting = new Set<string>();
      const visit = createVisitor({
        plan,
        runId,
        graph,
        journal,
        providers: deps.providers,
        clock,
        signal,
        prior,
        budget,
        ...(deps.traffic ? { traffic: deps.traffic } : {}),
        waiting,
      });
      const result = await walk({
        graph: graph.graph,
        capacities: graph.capacities,
        semaphores: graph.semaphores,
        known: knownFrom(graph, prior),
        visit,
        // A store that cannot record stops the walk as an interruption does: nothing acts unrecorded.
        signal: AbortSignal.any([signal, journal.failed]),
        // A failed target within its service's budget does not stop the rollout; one over it does.
        stopsWalk: (v) =>
          graph.kind[v] !== STEP || budget.fail(graph.service[v] as number, graph.target[v] as number),
        // Gates of a service that tolerates failures judge them instead of being skipped.
        runsAfterFailure: (v) => graph.kind[v] !== STEP && budget.tolerates(graph.service[v] as number),
      });
      await running;
      // The run stays as the store last recorded it (running): resumable, not failed.
      if (journal.failed.aborted) throw journal.failed.reason;
      const failed =
        result.outcomes.includes('failed') && (budget.anyOver() || gateFailed(graph, result.outcomes));
      const unfinished = result.outcomes.some((o) => o === 'cancelled' || o === 'not-run');
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
      if (!failed && waiting.size > 0 && !signal.aborted) {
        // A person must answer (approve or reject); the run stops here and is continued by them.
        const note = `waiting for a person at ${[...waiting].join(', ')}: marshal approve ${runId} (or reject)`;
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
    return await rollBack(deps, runId, plan, journal, state, failure ?? run.error ?? undefined);
  } catch (error) {
    throw await endOnBug(error, runId, state);
  } finally {
    await journal.close();
  }
}

async function rollBack(
  deps: ExecuteDeps,
  runId: number,
  plan: Plan,
  journal: Journal,
  state: (next: RunState, error?: SerializedError, note?: string) => Promise<void>,
  failure: SerializedError | undefined,
): Promise<RunOutcome> {
  const steps = await deps.store.getSteps(runId);
  const prior = new Map(steps.map((s) => [s.stepId, s]));
  const graph = buildRollbackGraph(plan, touchedTargets(plan, steps), routedServices(plan, steps));
  // A rollback cannot be cancelled half-way: it gets a signal that never aborts.
  const visit = createVisitor({
    plan,
    runId,
    graph,
    journal,
    providers: deps.providers,
    clock: deps.clock,
    signal: NEVER,
    prior,
    ...(deps.traffic ? { traffic: deps.traffic } : {}),
  });
  const result = await walk({
    graph: graph.graph,
    capacities: graph.capacities,
    semaphores: graph.semaphores,
    known: knownFrom(graph, prior),
    visit,
    // Keep restoring what does not depend on a failed rollback step — unless nothing can be recorded.
    stopsWalk: () => false,
    signal: journal.failed,
  });
  if (journal.failed.aborted) throw journal.failed.reason;
  await journal.recordAll(skippedEvents(graph, result.outcomes, runId, deps.clock.now()));
  if (result.outcomes.every((o) => o === 'ok')) {
    await state('rolled_back', failure);
    return { runId, state: 'rolled_back', error: failure ?? null };
  }
  const rollbackError = runError(
    graph,
    result.outcomes,
    new Map((await deps.store.getSteps(runId)).map((s) => [s.stepId, s])),
  );
  const error: SerializedError = {
    code: 'ROLLBACK_FAILED',
    message: `rollback incomplete: ${rollbackError.message}`,
    details: { ...rollbackError.details, cause: failure },
  };
  await state('rollback_failed', error);
  return { runId, state: 'rollback_failed', error };
}
