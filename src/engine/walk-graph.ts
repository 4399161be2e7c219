/**
 * A run graph walked, and its outcomes read: one walk (deploy or rollback) through
 * createVisitor, past what a resumed run already finished; the skipped steps to record; the
 * failure to report.
 */
import { type VertexOutcome, type WalkOptions, type WalkResult, walk } from '../dag/walk.js';
import type { SerializedError } from '../model/errors.js';
import type { NewEvent, StepRecord } from '../model/run.js';
import { type RunGraph, SERVICE_STEP, STEP } from '../plan/index.js';
import type { StepContext } from './task.js';
import { createVisitor } from './visit.js';

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
export function skippedEvents(
  graph: RunGraph,
  outcomes: VertexOutcome[],
  runId: number,
  at: number,
): NewEvent[] {
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

/** A gate that judged a failure budget exceeded. */
export function gateFailed(graph: RunGraph, outcomes: VertexOutcome[]): boolean {
  return outcomes.some((o, v) => o === 'failed' && graph.kind[v] !== STEP);
}

/** Walks `ctx.graph`, skipping what `ctx.prior` says finished, each vertex through createVisitor. */
export function walkGraph(
  ctx: StepContext,
  options: Pick<WalkOptions, 'signal' | 'stopsWalk' | 'runsAfterFailure'>,
): Promise<WalkResult> {
  const { graph } = ctx;
  return walk({
    graph: graph.graph,
    capacities: graph.capacities,
    semaphores: graph.semaphores,
    known: knownFrom(graph, ctx.prior.steps),
    visit: createVisitor(ctx),
    ...options,
  });
}

export function runError(
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
