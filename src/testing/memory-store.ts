/**
 * A RunStore in memory for engine unit tests: the same projection rules,
 * hash chain and lock rules as the durable stores (they share
 * store/projection.ts and store/chain.ts), passing the same contract suite.
 * Everything handed in or out is copied, as if it had been through a database.
 *
 * This module holds the state and the write path; the lock table is in
 * memory-locks.ts, and the read queries (filtering, ordering, paging) are in
 * memory-tables.ts.
 */
import { hostname } from 'node:os';
import { MarshalError } from '../model/errors.js';
import {
  type LiveTargets,
  type LogLine,
  liveTargetsOf,
  type NewEvent,
  type RunRecord,
  type RunSpan,
  type RunState,
  type RunSummary,
  type StepRecord,
  type StepState,
  type StoredEvent,
  type StoredLogLine,
  summaryOf,
  type TargetGroup,
  type TargetState,
} from '../model/run.js';
import type {
  ChainReport,
  EventQuery,
  LockHolder,
  LockInfo,
  LockResult,
  NewRun,
  RunQuery,
  RunStore,
} from '../model/store.js';
import { isAlive } from '../providers/process.js';
import { canonicalJson, eventHash, GENESIS_HASH, verifyPlans, verifyRows } from '../store/chain.js';
import { planFromJson, planToJson } from '../store/plan-json.js';
import {
  changedTarget,
  compareSteps,
  createdEvent,
  createdRun,
  isStepEvent,
  lockLost,
  nextStep,
  runPatch,
  targetChangeOf,
} from '../store/projection.js';
import { runSpans, type SpanMark } from '../store/spans.js';
import { MemoryLocks } from './memory-locks.js';
import {
  clone,
  groupTargets,
  phaseMedians,
  type StoredRow,
  selectEvents,
  selectLogs,
  selectRuns,
  selectTargets,
  stepKey,
  targetKey,
} from './memory-tables.js';

export interface MemoryStoreOptions {
  /** The host name locks are taken on (default: this machine's). */
  hostname?: string;
  /** Decides whether a lock holder's pid is alive (default: a real check, as the CLI's). */
  pidAlive?: (pid: number) => boolean;
}

export class MemoryStore implements RunStore {
  // Replaced, never mutated, by append: a failed batch leaves them as they were.
  private runs = new Map<number, RunRecord>();
  private steps = new Map<string, StepRecord>();
  private targets = new Map<string, TargetState>();
  /** Plan JSON by run id, stored beside the events as the SQLite store does. */
  private readonly plans = new Map<number, string>();
  private readonly pendingPlans = new Map<number, string>();
  private readonly locks: MemoryLocks;
  private events: StoredRow[] = [];
  private logs: StoredLogLine[] = [];
  /** Highest seq ever assigned: a deleted tail shows as a gap, as in SQLite. */
  private headSeq = 0;
  private lastRunId = 0;
  private failures: Error[] = [];
  private closed = false;

  constructor(options: MemoryStoreOptions = {}) {
    this.locks = new MemoryLocks(options.hostname ?? hostname(), options.pidAlive ?? isAlive);
  }

  /** Test hook: the next `count` calls to `append`/`createRun` reject with `error` and change nothing. */
  failNextAppend(error: Error = new MarshalError('STORE_ERROR', 'simulated store failure'), count = 1): void {
    for (let i = 0; i < count; i++) this.failures.push(error);
  }

  /** Test hook: replaces a run's stored plan text. */
  tamperPlan(runId: number, planJson: string): void {
    this.plans.set(runId, planJson);
  }

  /** Test hook: replaces an event's data without fixing its hash (what an attacker with SQL access does). */
  tamperEvent(seq: number, data: unknown): void {
    const row = this.events.find((e) => e.seq === seq);
    if (!row) throw new Error(`no event ${seq}`);
    row.data = clone(data);
    row.dataJson = JSON.stringify(data);
  }

  /** Test hook: removes an event from the log. */
  deleteEvent(seq: number): void {
    this.events = this.events.filter((e) => e.seq !== seq);
  }

  private check(): void {
    if (this.closed) throw new MarshalError('STORE_ERROR', 'store is closed');
  }

  async createRun(run: NewRun, options: { takeLockFrom?: number } = {}): Promise<RunRecord> {
    this.check();
    const id = this.lastRunId + 1;
    const from = options.takeLockFrom;
    if (from !== undefined && this.locks.get(run.environment)?.runId !== from)
      throw lockLost(run.environment, id);
    const planJson = planToJson(run.plan);
    this.pendingPlans.set(id, planJson);
    try {
      await this.append([createdEvent(id, run, planJson)]);
    } finally {
      this.pendingPlans.delete(id);
    }
    // append is all or nothing and awaits nothing else: the lock moves only with the run.
    if (from !== undefined) this.locks.transfer(run.environment, from, id);
    return clone(this.runs.get(id) as RunRecord);
  }

  /** All or nothing: the batch is applied to copies, which replace the state only when every event fits. */
  async append(events: NewEvent[], logs: LogLine[] = []): Promise<void> {
    this.check();
    const failure = this.failures.shift();
    if (failure) throw failure;
    // Checked first, and events applied to copies: a failed batch writes neither.
    for (const line of logs) {
      if (!this.runs.has(line.runId))
        throw new MarshalError('STORE_ERROR', `log line for unknown run ${line.runId}`);
    }
    if (events.length > 0) this.appendEvents(events);
    let id = this.logs.at(-1)?.id ?? 0;
    for (const line of logs) this.logs.push({ ...clone(line), id: ++id });
  }

  private appendEvents(events: NewEvent[]): void {
    const runs = new Map(this.runs);
    const steps = new Map(this.steps);
    const targets = new Map(this.targets);
    const rows: StoredRow[] = [];
    let seq = this.headSeq;
    let prev = this.events.at(-1)?.hash ?? GENESIS_HASH;
    for (const event of events) {
      seq++;
      const dataJson = canonicalJson(event.data);
      const stepId = event.stepId ?? null;
      const fields = { seq, runId: event.runId, stepId, type: event.type, at: event.at, dataJson };
      const hash = eventHash(prev, fields);
      this.project(event, { runs, steps, targets });
      rows.push({ ...fields, data: JSON.parse(dataJson), prevHash: prev, hash });
      prev = hash;
    }
    this.runs = runs;
    this.steps = steps;
    this.targets = targets;
    // One by one: an append of a run's skipped steps can hold hundreds of thousands of events.
    for (const row of rows) {
      this.events.push(row);
      if (row.type === 'run.created') this.lastRunId = Math.max(this.lastRunId, row.runId);
    }
    this.headSeq = seq;
  }

  private project(
    event: NewEvent,
    s: { runs: Map<number, RunRecord>; steps: Map<string, StepRecord>; targets: Map<string, TargetState> },
  ): void {
    if (event.type === 'run.created') {
      if (s.runs.has(event.runId)) throw new MarshalError('STORE_ERROR', `run ${event.runId} already exists`);
      const planJson = this.pendingPlans.get(event.runId);
      if (planJson === undefined)
        throw new MarshalError('STORE_ERROR', 'a run.created event needs its plan: use createRun');
      s.runs.set(event.runId, clone(createdRun(event, planFromJson(planJson))));
      this.plans.set(event.runId, planJson);
      return;
    }
    const run = s.runs.get(event.runId);
    if (!run)
      throw new MarshalError(
        'STORE_ERROR',
        `${event.type} event for run ${event.runId}, which does not exist`,
      );
    s.runs.set(event.runId, { ...run, ...clone(runPatch(event)) });
    if (isStepEvent(event)) {
      const key = stepKey(event.runId, event.stepId ?? '');
      s.steps.set(key, clone(nextStep(s.steps.get(key), event)));
    }
    const change = targetChangeOf(event);
    if (change !== undefined) {
      const target = changedTarget(event, change, run.environment);
      const key = targetKey({ environment: run.environment, ...change });
      if (target === null) s.targets.delete(key);
      else s.targets.set(key, target);
    }
  }

  async getRun(id: number): Promise<RunRecord | undefined> {
    this.check();
    const run = this.runs.get(id);
    return run && clone(run);
  }

  async getRunSummary(id: number): Promise<RunSummary | undefined> {
    this.check();
    const run = this.runs.get(id);
    return run && summaryOf(clone(run));
  }

  async listRuns(query: RunQuery = {}): Promise<RunSummary[]> {
    this.check();
    return selectRuns(this.runs.values(), query).map(summaryOf);
  }

  async getSteps(runId: number, query: { states?: StepState[] } = {}): Promise<StepRecord[]> {
    this.check();
    const wanted = (s: StepRecord) =>
      s.runId === runId && (query.states === undefined || query.states.includes(s.state));
    return clone([...this.steps.values()].filter(wanted).sort(compareSteps));
  }

  async getRunSpans(runId: number): Promise<RunSpan[]> {
    this.check();
    const events = this.events.filter((e) => e.runId === runId);
    const marks = events.flatMap((e): SpanMark[] => {
      if (e.type !== 'run.created' && e.type !== 'run.state') return [];
      const data = e.data as { state?: RunState; note?: string };
      return [{ seq: e.seq, at: e.at, type: e.type, state: data.state ?? null, note: data.note ?? null }];
    });
    if (marks.length === 0) return [];
    return runSpans(marks, (seq) => events.filter((e) => seq === undefined || e.seq < seq).at(-1)?.at ?? 0);
  }

  async countSteps(runId: number): Promise<Partial<Record<StepState, number>>> {
    const counts: Partial<Record<StepState, number>> = {};
    for (const s of await this.getSteps(runId)) counts[s.state] = (counts[s.state] ?? 0) + 1;
    return counts;
  }

  async getEvents(query: EventQuery): Promise<StoredEvent[]> {
    this.check();
    return selectEvents(this.events, query);
  }

  async getLogs(query: {
    runId: number;
    stepId?: string;
    afterId?: number;
    limit?: number;
  }): Promise<StoredLogLine[]> {
    this.check();
    return selectLogs(this.logs, query);
  }

  async getTargets(environment?: string): Promise<TargetState[]> {
    this.check();
    return selectTargets(this.targets.values(), environment);
  }

  async liveTargets(environment: string): Promise<LiveTargets> {
    this.check();
    return liveTargetsOf(selectTargets(this.targets.values(), environment));
  }

  async targetGroups(environment: string | undefined, namedUpTo: number): Promise<TargetGroup[]> {
    this.check();
    return groupTargets(selectTargets(this.targets.values(), environment), namedUpTo);
  }

  async phaseDurations(
    environment: string,
    services: readonly string[],
  ): Promise<Record<string, Record<string, number>>> {
    this.check();
    return phaseMedians(this.runs.values(), this.steps.values(), environment, services);
  }

  async acquireLock(
    environment: string,
    holder: LockHolder,
    leaseMs: number,
    now: number,
  ): Promise<LockResult> {
    this.check();
    return this.locks.acquire(environment, holder, leaseMs, now);
  }

  async renewLock(environment: string, runId: number, leaseMs: number, now: number): Promise<boolean> {
    this.check();
    return this.locks.renew(environment, runId, leaseMs, now);
  }

  async releaseLock(environment: string, runId: number): Promise<void> {
    this.check();
    this.locks.release(environment, runId);
  }

  async getLock(environment: string): Promise<LockInfo | undefined> {
    this.check();
    return this.locks.get(environment);
  }

  async verifyChain(): Promise<ChainReport> {
    this.check();
    const result = verifyRows(this.events, this.headSeq);
    const problem =
      result.problem ??
      verifyPlans(
        this.events.filter((e) => e.type === 'run.created'),
        // Summaries here are derived from the plan itself: there are no separate versions to check.
        (id) => {
          const plan = this.plans.get(id);
          return plan === undefined ? undefined : { plan };
        },
      );
    return { ok: problem === undefined, events: result.events, ...(problem ? { problem } : {}) };
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}
