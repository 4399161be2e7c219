/**
 * The projection rules — how events change runs, steps and targets — as pure
 * functions, so every store (SQLite, PostgreSQL, the in-memory fake) applies
 * exactly the same rules. Stores only read the previous row and write the
 * result inside their append transaction.
 */

import type { SerializedError } from '../model/errors.js';
import { MarshalError } from '../model/errors.js';
import type { Plan } from '../model/plan.js';
import type { NewEvent, RunRecord, RunState, StepRecord, TargetChange, TargetState } from '../model/run.js';
import { type Answer, answerNote, answerOf, blankStep, isTerminalRunState } from '../model/run.js';
import { parseStepRef } from '../model/step-ref.js';
import type { LockInfo, NewRun } from '../model/store.js';
import { planDigest } from './chain.js';

/** The step note that marks a success found by the status check (nothing was applied). */
export const ALREADY_DONE_NOTE = 'already done';

/** How many of an environment's recent runs `phaseDurations` looks at. */
export const PHASE_HISTORY_RUNS = 10;

/** Most steps per service `phaseDurations` takes its medians from. */
export const PHASE_SAMPLES_PER_SERVICE = 600;

type EventOf<T extends NewEvent['type']> = Extract<NewEvent, { type: T }>;

/** The run a `run.created` event creates, with its plan (stored beside the event). */
export function createdRun(event: EventOf<'run.created'>, plan: Plan): RunRecord {
  const d = event.data;
  return {
    id: event.runId,
    environment: d.environment,
    kind: d.kind,
    state: 'pending',
    actor: d.actor,
    reason: d.reason,
    configDigest: d.configDigest,
    plan,
    createdAt: event.at,
    updatedAt: event.at,
    endedAt: null,
    error: null,
  };
}

/** The `run.created` event of a new run; the plan itself is stored beside it. */
export function createdEvent(id: number, run: NewRun, planJson: string): EventOf<'run.created'> {
  return {
    type: 'run.created',
    runId: id,
    at: run.at,
    data: {
      environment: run.environment,
      kind: run.kind,
      actor: run.actor,
      reason: run.reason,
      configDigest: run.plan.configDigest,
      planDigest: planDigest(planJson),
    },
  };
}

/** What an event changes on its run's row (every event bumps `updatedAt`). */
export interface RunPatch {
  updatedAt: number;
  state?: RunState;
  endedAt?: number | null;
  error?: SerializedError | null;
}

export function runPatch(event: NewEvent): RunPatch {
  if (event.type !== 'run.state') return { updatedAt: event.at };
  const { state, error } = event.data;
  return {
    updatedAt: event.at,
    state,
    // A resumed run is running again: its end is cleared, not kept.
    endedAt: isTerminalRunState(state) ? event.at : null,
    error: error ?? null,
  };
}

/** Whether an event is about one step (and so must carry a stepId). */
export function isStepEvent(event: NewEvent): boolean {
  return event.type.startsWith('step.');
}

function requireStepId(event: NewEvent): string {
  if (event.stepId === undefined || event.stepId === '') {
    throw new MarshalError('INTERNAL', `${event.type} event of run ${event.runId} has no stepId`);
  }
  return event.stepId;
}

/** The step row after `event`, given the row before it (undefined when new). */
export function nextStep(prev: StepRecord | undefined, event: NewEvent): StepRecord {
  const stepId = requireStepId(event);
  const s: StepRecord = prev ? { ...prev } : blankStep(event.runId, stepId);
  switch (event.type) {
    case 'step.started':
      s.state = 'running';
      s.attempts = event.data.attempt;
      s.startedAt ??= event.at;
      s.endedAt = null;
      s.durationMs = null;
      s.note = null;
      break;
    case 'step.succeeded':
      s.state = 'succeeded';
      s.attempts = event.data.attempt;
      s.endedAt = event.at;
      s.durationMs = event.data.durationMs;
      // The failures of earlier attempts stay in the event log; the step itself succeeded.
      s.error = null;
      s.note = event.data.alreadyDone ? ALREADY_DONE_NOTE : (event.data.verdict?.message ?? null);
      break;
    case 'step.failed':
      s.attempts = event.data.attempt;
      s.error = event.data.error;
      if (event.data.final) {
        s.state = 'failed';
        s.endedAt = event.at;
        s.durationMs = event.data.durationMs;
      } else {
        s.state = 'running';
      }
      break;
    case 'step.retrying':
      s.note = `retrying in ${event.data.delayMs}ms (attempt ${event.data.attempt})`;
      break;
    case 'step.skipped':
      s.state = 'skipped';
      s.note = event.data.reason;
      break;
    case 'step.interrupted':
      s.state = 'cancelled';
      s.note = 'interrupted';
      break;
    case 'step.waiting':
      s.state = 'waiting';
      s.note = event.data.reason;
      break;
    case 'step.answered':
    case 'step.approved':
      s.note = answerNote(answerOf(event) as Answer);
      break;
    default:
      throw new MarshalError('INTERNAL', `${event.type} is not a step event`);
  }
  return s;
}

/** The change of a target an event carries: a `target.changed`, or a step event's `target`. */
export function targetChangeOf(event: NewEvent): TargetChange | undefined {
  if (event.type === 'target.changed') return event.data;
  if (event.type === 'step.started' || event.type === 'step.succeeded') return event.data.target;
  return undefined;
}

/**
 * The target row `change` writes, or `null` when the target no longer runs the service
 * (version null: the row is deleted).
 */
export function changedTarget(event: NewEvent, d: TargetChange, environment: string): TargetState | null {
  if (d.version === null) return null;
  return {
    environment,
    service: d.service,
    target: d.target,
    version: d.version,
    previous: d.previous,
    healthy: d.healthy ?? true,
    slot: d.slot ?? null,
    runId: event.runId,
    updatedAt: event.at,
  };
}

/** Binary string order (what SQLite's default collation does for ASCII ids). */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Steps in the order they first started; never-started steps last; ties by step id. */
export function compareSteps(a: StepRecord, b: StepRecord): number {
  if (a.startedAt !== b.startedAt) {
    if (a.startedAt === null) return 1;
    if (b.startedAt === null) return -1;
    return a.startedAt - b.startedAt;
  }
  return compareText(a.stepId, b.stepId);
}

/** `[service, phase]` of a deploy step id `<service>/<host>/<phase>`; undefined for rollback or malformed ids. */
export function serviceAndPhase(stepId: string): [string, string] | undefined {
  const ref = parseStepRef(stepId);
  return ref === undefined || ref.rollback ? undefined : [ref.service, ref.phase];
}

/** Whether a step is a sample for `phaseDurations`: it did the work and succeeded. */
export function isDurationSample(step: StepRecord): boolean {
  return (
    step.state === 'succeeded' &&
    step.note !== ALREADY_DONE_NOTE &&
    step.durationMs !== null &&
    serviceAndPhase(step.stepId) !== undefined
  );
}

/** Median duration per service and phase id; an even count averages the middle two (rounded). */
export function mediansByPhase(
  samples: Iterable<{ stepId: string; durationMs: number }>,
): Record<string, Record<string, number>> {
  const grouped = new Map<string, Map<string, number[]>>();
  for (const s of samples) {
    const key = serviceAndPhase(s.stepId);
    if (key === undefined) continue;
    const [service, phase] = key;
    let byPhase = grouped.get(service);
    if (byPhase === undefined) {
      byPhase = new Map();
      grouped.set(service, byPhase);
    }
    const list = byPhase.get(phase);
    if (list) list.push(s.durationMs);
    else byPhase.set(phase, [s.durationMs]);
  }
  const out: Record<string, Record<string, number>> = {};
  for (const [service, byPhase] of grouped) {
    const medians: Record<string, number> = {};
    for (const [phase, values] of [...byPhase].sort(([a], [b]) => compareText(a, b))) {
      values.sort((a, b) => a - b);
      const mid = values.length >> 1;
      medians[phase] =
        values.length % 2 === 1
          ? (values[mid] as number)
          : Math.round(((values[mid - 1] as number) + (values[mid] as number)) / 2);
    }
    out[service] = medians;
  }
  return out;
}

/**
 * How a store learns whether a lock holder's pid is alive on this host. The store cannot look at
 * processes itself (it depends on model/ only): the CLI passes providers/process.ts `isAlive`,
 * the one liveness check, which also counts a zombie as dead.
 */
export type PidAlive = (pid: number) => boolean;

/** A store told nothing about processes frees a lock only when its lease expires. */
export const LEASE_ONLY: PidAlive = () => true;

/**
 * Whether `holder` may take the lock `current`: its lease expired, the same
 * run in the same process already holds it (re-entrant), or its holder is a
 * dead process on this host (a crashed run being resumed, or another run).
 * The same run in another live process is refused: a run executes once.
 */
export function mayTakeLock(
  current: LockInfo,
  holder: Pick<LockInfo, 'runId' | 'pid' | 'hostname'>,
  now: number,
  hostname: string,
  pidAlive: PidAlive,
): boolean {
  if (current.expiresAt <= now) return true;
  if (current.runId === holder.runId && current.pid === holder.pid && current.hostname === holder.hostname)
    return true;
  return current.hostname === hostname && !pidAlive(current.pid);
}

/**
 * createRun's refusal when the provisional holder no longer holds the lock: its lease ran out
 * and another process took it.
 */
export function lockLost(environment: string, runId: number): MarshalError {
  return new MarshalError('LOCK_HELD', `lost the ${environment} lock before run #${runId} was created`, {
    hint: 'another deploy took it over while this one planned; deploy again (--wait queues behind it)',
  });
}
