/**
 * What a run did before it was resumed, as its store recorded it: its steps (those that finished
 * are not run again), the answers people gave to the steps it waited at, and the measurements its
 * analyses took (a resumed analysis counts on from them). A new run has none of it.
 */
import type { Plan } from '../model/plan.js';
import { type Answer, answerOf, type StepRecord, type StoredEvent } from '../model/run.js';
import type { RunStore } from '../model/store.js';
import type { Measurement } from '../model/traffic.js';

export interface Prior {
  steps: ReadonlyMap<string, StepRecord>;
  /** The last answer given to each step, by step id. */
  answers: ReadonlyMap<string, Answer>;
  /** What each analysis step measured, by step id, oldest first. */
  measurements: ReadonlyMap<string, readonly Measurement[]>;
}

export function nothingBefore(): Prior {
  return { steps: new Map(), answers: new Map(), measurements: new Map() };
}

export function stepsBefore(steps: readonly StepRecord[]): Prior {
  return { ...nothingBefore(), steps: new Map(steps.map((s) => [s.stepId, s])) };
}

export async function priorOf(store: RunStore, runId: number, plan: Plan): Promise<Prior> {
  const prior = stepsBefore(await store.getSteps(runId));
  // Only blue-green and canary services wait for people and measure; others skip the reads.
  const kinds = new Set(plan.services.flatMap((s) => s.delivery?.steps.map((d) => d.kind) ?? []));
  if (!kinds.has('approve') && !kinds.has('analysis')) return prior;
  const answers = new Map<string, Answer>();
  // Answers in both forms ever written (step.approved before step.answered), the newest last.
  const given = [
    ...(await store.getEvents({ runId, type: 'step.approved' })),
    ...(await store.getEvents({ runId, type: 'step.answered' })),
  ].sort((a, b) => a.seq - b.seq);
  for (const event of given) {
    const answer = answerOf(event);
    if (answer !== undefined && event.stepId !== undefined) answers.set(event.stepId, answer);
  }
  const measurements = new Map<string, Measurement[]>();
  const taken: StoredEvent[] = kinds.has('analysis')
    ? await store.getEvents({ runId, type: 'analysis.measurement' })
    : [];
  for (const event of taken) {
    if (event.type !== 'analysis.measurement' || event.stepId === undefined) continue;
    const list = measurements.get(event.stepId) ?? [];
    list.push(event.data.measurement);
    measurements.set(event.stepId, list);
  }
  return { ...prior, answers, measurements };
}
