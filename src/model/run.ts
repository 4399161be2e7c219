/** Runs, steps, events and their states: the vocabulary of the store and the engine. */
import type { SerializedError } from './errors.js';
import type { Measurement, Verdict } from './measurement.js';
import type { Plan } from './plan.js';

/** The outcome of an analysis step, kept with the step. */
export interface AnalysisVerdict {
  verdict: Verdict;
  message: string;
}

export const RUN_STATES = [
  'pending',
  'running',
  'waiting',
  'succeeded',
  'failed',
  'rolling_back',
  'rolled_back',
  'rollback_failed',
  'cancelled',
] as const;
export type RunState = (typeof RUN_STATES)[number];

export const STEP_STATES = [
  'pending',
  'running',
  'waiting',
  'succeeded',
  'failed',
  'skipped',
  'cancelled',
] as const;
export type StepState = (typeof STEP_STATES)[number];

/** Terminal states a run cannot leave without `resume` (cancelled) or at all. */
export function isTerminalRunState(state: RunState): boolean {
  return ['succeeded', 'failed', 'rolled_back', 'rollback_failed', 'cancelled'].includes(state);
}

/** States `marshal resume` accepts: interrupted, crashed or stopped runs. */
export function isResumableRunState(state: RunState): boolean {
  return ['pending', 'running', 'rolling_back', 'cancelled', 'waiting'].includes(state);
}

/** Exit status of a run that ended in this state (SPEC: exit codes). */
export function exitCodeForRunState(state: RunState): number {
  switch (state) {
    case 'succeeded':
      return 0;
    case 'failed':
    case 'rolled_back':
      return 1;
    case 'rollback_failed':
      return 3;
    case 'waiting':
      return 4;
    case 'cancelled':
    case 'pending':
    case 'running':
    case 'rolling_back':
      return 130;
  }
}

/**
 * What is live on a target. `healthy: false` while a run is changing it or after it failed there
 * (absent means true); a later plan redeploys an unhealthy target even at the same version.
 */
export interface TargetChange {
  service: string;
  target: string;
  version: string | null;
  previous: string | null;
  healthy?: boolean;
  /** The slot serving traffic, for blue-green and canary services. */
  slot?: 'blue' | 'green' | null;
}

/** A person's answer to a step that waits for one: `marshal approve` or `marshal reject`. */
export interface Answer {
  decision: 'approved' | 'rejected';
  actor: string;
  /** What they gave with `--reason`. */
  reason: string | null;
}

export interface RunEventMap {
  /** The plan is stored beside the event; the event carries its digest, so the chain covers it. */
  'run.created': {
    environment: string;
    kind: Plan['kind'];
    actor: string;
    reason: string | null;
    configDigest: string;
    planDigest: string;
  };
  'run.state': { state: RunState; error?: SerializedError; note?: string };
  /**
   * `target`: the step changes what is live on its target (its first mutating step starts, its
   * last step succeeds). Carried by the step event rather than a separate `target.changed`:
   * half the events for a one-step target, same projection.
   */
  'step.started': { attempt: number; target?: TargetChange };
  /** `alreadyDone`: the status check found the effect in place, nothing was applied. */
  'step.succeeded': {
    attempt: number;
    durationMs: number;
    alreadyDone?: boolean;
    verdict?: AnalysisVerdict;
    target?: TargetChange;
  };
  'step.failed': {
    attempt: number;
    durationMs: number;
    error: SerializedError;
    final: boolean;
    verdict?: AnalysisVerdict;
  };
  'step.retrying': { attempt: number; delayMs: number };
  'step.skipped': { reason: string };
  /** The step was stopped by cancellation; it will run again on resume. */
  'step.interrupted': { attempt: number };
  /** The step waits for a person (an approval, an inconclusive analysis): the run stops, exit 4. */
  'step.waiting': { reason: string };
  /** A person's answer to a waiting step; the event's `at` says when. */
  'step.answered': Answer;
  /**
   * An answer as Marshal recorded it before `step.answered`: no longer written, still read (a run
   * approved then is honoured when it resumes). See {@link answerOf}.
   */
  'step.approved': { approved: boolean; actor: string; reason: string | null };
  /** One measurement of an analysis step. */
  'analysis.measurement': { measurement: Measurement };
  /** What is live on a target, changed outside a step event (traffic switches, marks). */
  'target.changed': TargetChange;
}

export type RunEventType = keyof RunEventMap;

export type NewEvent = {
  [K in RunEventType]: { type: K; runId: number; stepId?: string; at: number; data: RunEventMap[K] };
}[RunEventType];

export type StoredEvent = NewEvent & { seq: number; hash: string; prevHash: string };

/** The answer an event records, in either form it was ever written in; undefined for other events. */
export function answerOf(event: NewEvent): Answer | undefined {
  if (event.type === 'step.answered') return event.data;
  if (event.type !== 'step.approved') return undefined;
  const { approved, actor, reason } = event.data;
  return { decision: approved ? 'approved' : 'rejected', actor, reason };
}

/** How `show` notes an answer on its step: `approved by alice: looks good`. */
export function answerNote(answer: Answer): string {
  return `${answer.decision} by ${answer.actor}${answer.reason ? `: ${answer.reason}` : ''}`;
}

/**
 * A stretch of time a run was being executed: from its start or a resume to the moment it
 * stopped (its final state, a wait, an interruption) or — killed — its last event before that.
 * A run's working time is the sum of its spans; the time between them it lay dead or waited.
 */
export interface RunSpan {
  from: number;
  to: number;
  /** The last span of a run that has not stopped: it may still be executing, `to` is its latest event. */
  open?: boolean;
}

/** The note of the first state a resumed run records: a new span begins. */
export const RESUMED_NOTE = 'resumed';

/**
 * The note `marshal cancel` gives a run nobody was executing (its process died): the time until
 * then is not the run's, so its span ends at its last event before the cancel.
 */
export function cancelledByNote(actor: string): string {
  return `cancelled by ${actor}`;
}

export function isCancelledByNote(note: string | null | undefined): boolean {
  return note?.startsWith('cancelled by ') === true;
}

export interface RunRecord {
  id: number;
  environment: string;
  kind: Plan['kind'];
  state: RunState;
  actor: string;
  reason: string | null;
  configDigest: string;
  plan: Plan;
  createdAt: number;
  updatedAt: number;
  endedAt: number | null;
  error: SerializedError | null;
}

/** What a run changes in one service: its plan entry without the targets and steps. */
export interface ServiceChange {
  service: string;
  from: string | null;
  to: string;
}

/**
 * A run without its plan, for lists and outcomes. The plan holds every target and step (6 MB for
 * 20 services × 10,000 hosts): history and rollback read many runs and need only the versions.
 */
export interface RunSummary extends Omit<RunRecord, 'plan'> {
  /** The plan's changing services, in its order. */
  changes: ServiceChange[];
  /** Selected services that were already at their version. */
  unchanged: Plan['unchanged'];
}

export function changesOf(plan: Plan): ServiceChange[] {
  return plan.services.map((s) => ({ service: s.name, from: s.from, to: s.to }));
}

export function summaryOf(run: RunRecord): RunSummary {
  const { plan, ...rest } = run;
  return { ...rest, changes: changesOf(plan), unchanged: plan.unchanged.map((u) => ({ ...u })) };
}

export interface StepRecord {
  runId: number;
  stepId: string;
  state: StepState;
  attempts: number;
  startedAt: number | null;
  endedAt: number | null;
  durationMs: number | null;
  error: SerializedError | null;
  note: string | null;
}

/** A step that has not started: how the store begins a step's row, and how `show` lists it until then. */
export function blankStep(runId: number, stepId: string): StepRecord {
  return {
    runId,
    stepId,
    state: 'pending',
    attempts: 0,
    startedAt: null,
    endedAt: null,
    durationMs: null,
    error: null,
    note: null,
  };
}

export interface TargetState {
  environment: string;
  service: string;
  target: string;
  version: string | null;
  previous: string | null;
  /** False while a run is changing the target, or after it failed there. */
  healthy: boolean;
  /** The slot serving traffic (blue-green, canary), or null. */
  slot: 'blue' | 'green' | null;
  runId: number;
  updatedAt: number;
}

/**
 * What is live on one service's targets, as parallel arrays (a service of 10,000 targets is four
 * arrays, not 10,000 objects): what planning reads.
 */
export interface ServiceTargets {
  targets: string[];
  versions: (string | null)[];
  healthy: boolean[];
  slots: TargetState['slot'][];
}

/** ServiceTargets by service, for one environment. */
export type LiveTargets = Record<string, ServiceTargets>;

/** The LiveTargets of `states`, which are of one environment. */
export function liveTargetsOf(states: readonly TargetState[]): LiveTargets {
  const live: LiveTargets = {};
  for (const t of states) {
    let s = live[t.service];
    if (s === undefined) {
      s = { targets: [], versions: [], healthy: [], slots: [] };
      live[t.service] = s;
    }
    s.targets.push(t.target);
    s.versions.push(t.version);
    s.healthy.push(t.healthy);
    s.slots.push(t.slot);
  }
  return live;
}

/** Targets of one service that run one version and are equally healthy: `status` without the fleet. */
export interface TargetGroup {
  environment: string;
  service: string;
  version: string | null;
  healthy: boolean;
  count: number;
  /** Their names, in order, when there are at most the asked-for number of them; else null. */
  targets: string[] | null;
  /** The newest run that changed one of them, and when the last of them changed. */
  runId: number;
  updatedAt: number;
}

export type LogStream = 'stdout' | 'stderr' | 'info';

export interface LogLine {
  runId: number;
  stepId: string;
  at: number;
  stream: LogStream;
  line: string;
}

export interface StoredLogLine extends LogLine {
  id: number;
}
