/**
 * The rollback of a failed run: exactly the targets where a step that changes live state
 * started, and the traffic the run moved, in reverse `needs` order. It cannot be cancelled
 * half-way (its signal never aborts) and does not stop at its first failure: what does not
 * depend on a failed rollback step is still restored.
 */
import type { SerializedError } from '../model/errors.js';
import type { Plan } from '../model/plan.js';
import type { RunState, StepRecord } from '../model/run.js';
import { formatStepRef } from '../model/step-ref.js';
import type { RunStore } from '../model/store.js';
import { buildRollbackGraph, type TouchedTargets } from '../plan/index.js';
import { stepsBefore } from './prior.js';
import type { StepContext } from './task.js';
import { runError, skippedEvents, walkGraph } from './walk-graph.js';

const NEVER = new AbortController().signal;

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

/** Targets where a step that changes live state started: exactly what a rollback must undo. */
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

/** Rolls back; `failure` is why (the run's error), kept with a clean rollback. */
export async function rollBack(
  store: RunStore,
  common: Omit<StepContext, 'graph' | 'signal' | 'prior'>,
  state: (next: RunState, error?: SerializedError, note?: string) => Promise<void>,
  failure: SerializedError | undefined,
): Promise<{ state: RunState; error: SerializedError | null }> {
  const { plan, runId, journal, clock } = common;
  const steps = await store.getSteps(runId);
  const graph = buildRollbackGraph(plan, touchedTargets(plan, steps), routedServices(plan, steps));
  // A rollback cannot be cancelled half-way: it gets a signal that never aborts.
  const result = await walkGraph(
    { ...common, graph, signal: NEVER, prior: stepsBefore(steps) },
    {
      // Keep restoring what does not depend on a failed rollback step — unless nothing can be recorded.
      stopsWalk: () => false,
      signal: journal.failed,
    },
  );
  if (journal.failed.aborted) throw journal.failed.reason;
  await journal.recordAll(skippedEvents(graph, result.outcomes, runId, clock.now()));
  if (result.outcomes.every((o) => o === 'ok')) {
    await state('rolled_back', failure);
    return { state: 'rolled_back', error: failure ?? null };
  }
  const after = new Map((await store.getSteps(runId)).map((s) => [s.stepId, s]));
  const rollbackError = runError(graph, result.outcomes, after);
  const error: SerializedError = {
    code: 'ROLLBACK_FAILED',
    message: `rollback incomplete: ${rollbackError.message}`,
    details: { ...rollbackError.details, cause: failure },
  };
  await state('rollback_failed', error);
  return { state: 'rollback_failed', error };
}
