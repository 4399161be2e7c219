/**
 * The RunStore contract. Implementations (store/sqlite, store/postgres, the
 * in-memory fake) pass the same contract suite. `append` is the only way
 * state changes: events are appended atomically and durably, hash-chained,
 * and the projections (runs, steps, targets) are updated in the same
 * transaction.
 */
import type { Plan } from './plan.js';
import type {
  LiveTargets,
  LogLine,
  NewEvent,
  RunEventType,
  RunRecord,
  RunSpan,
  RunState,
  RunSummary,
  StepRecord,
  StepState,
  StoredEvent,
  StoredLogLine,
  TargetGroup,
  TargetState,
} from './run.js';

export interface NewRun {
  environment: string;
  kind: Plan['kind'];
  actor: string;
  reason: string | null;
  plan: Plan;
  at: number;
}

export interface LockHolder {
  runId: number;
  actor: string;
  pid: number;
  hostname: string;
}

export interface LockInfo extends LockHolder {
  environment: string;
  acquiredAt: number;
  expiresAt: number;
}

export type LockResult = { ok: true } | { ok: false; holder: LockInfo };

export interface RunQuery {
  environment?: string;
  states?: RunState[];
  limit?: number;
}

/** Which events getEvents returns: after a seq, of one run, of one type, at most so many. */
export interface EventQuery {
  runId?: number;
  afterSeq?: number;
  type?: RunEventType;
  limit?: number;
}

export interface ChainReport {
  ok: boolean;
  events: number;
  /** First event whose hash or link does not match, with why. */
  problem?: { seq: number; reason: string };
}

export interface RunStore {
  /**
   * Allocates a run id and appends its `run.created` event. With `takeLockFrom`, the
   * environment's lock passes from that holder (a provisional id) to the new run, keeping its
   * lease, in the same transaction: one commit, and no run without its lock. When that holder
   * does not hold the lock, nothing is written.
   */
  createRun(run: NewRun, options?: { takeLockFrom?: number }): Promise<RunRecord>;
  /**
   * Appends events, and step output (`logs`: not hash-chained), in one transaction: all or
   * nothing; resolves once they are durable.
   */
  append(events: NewEvent[], logs?: LogLine[]): Promise<void>;
  getRun(id: number): Promise<RunRecord | undefined>;
  /** A run without its plan: what a run's outcome shows. */
  getRunSummary(id: number): Promise<RunSummary | undefined>;
  /** Runs without their plans (see RunSummary), newest first. */
  listRuns(query?: RunQuery): Promise<RunSummary[]>;
  /** Steps of a run in the order they first started (never-started last); optionally only some states. */
  getSteps(runId: number, query?: { states?: StepState[] }): Promise<StepRecord[]>;
  /**
   * When the run was being executed (RunSpan), oldest first, from its `run.created` and
   * `run.state` events (store/projection.ts `runSpans` says how); empty for an unknown run.
   */
  getRunSpans(runId: number): Promise<RunSpan[]>;
  /** How many steps of a run are in each state (states with none are absent). */
  countSteps(runId: number): Promise<Partial<Record<StepState, number>>>;
  getEvents(query: EventQuery): Promise<StoredEvent[]>;
  getLogs(query: {
    runId: number;
    stepId?: string;
    afterId?: number;
    limit?: number;
  }): Promise<StoredLogLine[]>;
  getTargets(environment?: string): Promise<TargetState[]>;
  /** Every target of the environment, by service, as parallel arrays (see ServiceTargets). */
  liveTargets(environment: string): Promise<LiveTargets>;
  /**
   * Targets grouped by environment, service, version and health, ordered by environment,
   * service and then each group's first target; names listed for groups of at most `namedUpTo`.
   */
  targetGroups(environment: string | undefined, namedUpTo: number): Promise<TargetGroup[]>;
  /**
   * Median duration (ms) of steps that did their work and succeeded, by service then phase id
   * (`upload`, `run:migrate`…), for each of `services`, over the environment's 10 newest runs.
   * Rollback steps do not count. A sample, not every step: per service the steps of the newest
   * runs first, in step-id order, at most PHASE_SAMPLES_PER_SERVICE (a fleet of 10,000 hosts
   * would otherwise read every step of ten runs to estimate one duration).
   */
  phaseDurations(
    environment: string,
    services: readonly string[],
  ): Promise<Record<string, Record<string, number>>>;
  /**
   * Takes the environment's lock for a run. An expired lease, or one whose
   * holder is a dead process on this host, is taken over.
   */
  acquireLock(environment: string, holder: LockHolder, leaseMs: number, now: number): Promise<LockResult>;
  renewLock(environment: string, runId: number, leaseMs: number, now: number): Promise<boolean>;
  releaseLock(environment: string, runId: number): Promise<void>;
  getLock(environment: string): Promise<LockInfo | undefined>;
  verifyChain(): Promise<ChainReport>;
  close(): Promise<void>;
}
