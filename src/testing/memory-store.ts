/**
 * A RunStore in memory for engine unit tests: the same projection rules,
 * hash chain and lock rules as the durable stores (they share
 * store/projection.ts and store/chain.ts), passing the same contract suite.
 * Everything handed in or out is copied, as if it had been through a database.
 */
import { hostname } from 'node:os';
import { MarshalError } from '../model/errors.js';
import type {
  LogLine,
  NewEvent,
  RunRecord,
  StepRecord,
  StepState,
  StoredEvent,
  StoredLogLine,
  TargetState,
} from '../model/run.js';
import type {
  ChainReport,
  LockHolder,
  LockInfo,
  LockResult,
  NewRun,
  RunQuery,
  RunStore,
} from '../model/store.js';
import {
  type ChainRow,
  canonicalJson,
  eventHash,
  GENESIS_HASH,
  verifyPlans,
  verifyRows,
} from '../store/chain.js';
import { planFromJson, planToJson } from '../store/plan-json.js';
import {
  changedTarget,
  compareSteps,
  compareText,
  createdEvent,
  createdRun,
  isDurationSample,
  isPidAlive,
  isStepEvent,
  mayTakeLock,
  mediansByPhase,
  nextStep,
  PHASE_HISTORY_RUNS,
  runPatch,
} from '../store/projection.js';

export interface MemoryStoreOptions {
  /** The host name locks are taken on (default: this machine's). */
  hostname?: string;
  /** Decides whether a lock holder's pid is alive (default: a real check). */
  pidAlive?: (pid: number) => boolean;
}

interface StoredRow extends ChainRow {
  data: unknown;
}

const clone = <T>(value: T): T => structuredClone(value);
const stepKey = (runId: number, stepId: string) => `${runId}\u0000${stepId}`;
const targetKey = (t: { environment: string; service: string; target: string }) =>
  `${t.environment}\u0000${t.service}\u0000${t.target}`;

export class MemoryStore implements RunStore {
  // Replaced, never mutated, by append: a failed batch leaves them as they were.
  private runs = new Map<number, RunRecord>();
  private steps = new Map<string, StepRecord>();
  private targets = new Map<string, TargetState>();
  /** Plan JSON by run id, stored beside the events as the SQLite store does. */
  private readonly plans = new Map<number, string>();
  private readonly pendingPlans = new Map<number, string>();
  private readonly locks = new Map<string, LockInfo>();
  private events: StoredRow[] = [];
  private logs: StoredLogLine[] = [];
  /** Highest seq ever assigned: a deleted tail shows as a gap, as in SQLite. */
  private headSeq = 0;
  private lastRunId = 0;
  private failures: Error[] = [];
  private closed = false;
  private readonly host: string;
  private readonly pidAlive: (pid: number) => boolean;

  constructor(options: MemoryStoreOptions = {}) {
    this.host = options.hostname ?? hostname();
    this.pidAlive = options.pidAlive ?? isPidAlive;
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

  async createRun(run: NewRun): Promise<RunRecord> {
    const id = this.lastRunId + 1;
    const planJson = planToJson(run.plan);
    this.pendingPlans.set(id, planJson);
    try {
      await this.append([createdEvent(id, run, planJson)]);
    } finally {
      this.pendingPlans.delete(id);
    }
    return clone(this.runs.get(id) as RunRecord);
  }

  /** All or nothing: the batch is applied to copies, which replace the state only when every event fits. */
  async append(events: NewEvent[]): Promise<void> {
    this.check();
    const failure = this.failures.shift();
    if (failure) throw failure;
    if (events.length === 0) return;
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
    this.events.push(...rows);
    this.headSeq = seq;
    this.lastRunId = Math.max(
      this.lastRunId,
      ...rows.filter((r) => r.type === 'run.created').map((r) => r.runId),
    );
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
    } else if (event.type === 'target.changed') {
      const target = changedTarget(event, run.environment);
      const key = targetKey({ environment: run.environment, ...event.data });
      if (target === null) s.targets.delete(key);
      else s.targets.set(key, target);
    }
  }

  async appendLogs(lines: LogLine[]): Promise<void> {
    this.check();
    let id = this.logs.at(-1)?.id ?? 0;
    for (const line of lines) {
      if (!this.runs.has(line.runId))
        throw new MarshalError('STORE_ERROR', `log line for unknown run ${line.runId}`);
    }
    for (const line of lines) this.logs.push({ ...clone(line), id: ++id });
  }

  async getRun(id: number): Promise<RunRecord | undefined> {
    this.check();
    const run = this.runs.get(id);
    return run && clone(run);
  }

  async listRuns(query: RunQuery = {}): Promise<RunRecord[]> {
    this.check();
    const runs = [...this.runs.values()]
      .filter((r) => query.environment === undefined || r.environment === query.environment)
      .filter((r) => query.states === undefined || query.states.includes(r.state))
      .sort((a, b) => b.id - a.id);
    return clone(query.limit === undefined ? runs : runs.slice(0, Math.max(0, query.limit)));
  }

  async getSteps(runId: number, query: { states?: StepState[] } = {}): Promise<StepRecord[]> {
    this.check();
    const wanted = (s: StepRecord) =>
      s.runId === runId && (query.states === undefined || query.states.includes(s.state));
    return clone([...this.steps.values()].filter(wanted).sort(compareSteps));
  }

  async countSteps(runId: number): Promise<Partial<Record<StepState, number>>> {
    const counts: Partial<Record<StepState, number>> = {};
    for (const s of await this.getSteps(runId)) counts[s.state] = (counts[s.state] ?? 0) + 1;
    return counts;
  }

  async getEvents(query: { runId?: number; afterSeq?: number; limit?: number }): Promise<StoredEvent[]> {
    this.check();
    const after = query.afterSeq ?? 0;
    const rows = this.events.filter(
      (e) => e.seq > after && (query.runId === undefined || e.runId === query.runId),
    );
    const page = query.limit === undefined ? rows : rows.slice(0, Math.max(0, query.limit));
    return page.map((r) => {
      const event = {
        seq: r.seq,
        runId: r.runId,
        type: r.type,
        at: r.at,
        data: clone(r.data),
      } as StoredEvent;
      if (r.stepId !== null) event.stepId = r.stepId;
      return Object.assign(event, { prevHash: r.prevHash, hash: r.hash });
    });
  }

  async getLogs(query: {
    runId: number;
    stepId?: string;
    afterId?: number;
    limit?: number;
  }): Promise<StoredLogLine[]> {
    this.check();
    const after = query.afterId ?? 0;
    const rows = this.logs.filter(
      (l) =>
        l.runId === query.runId && l.id > after && (query.stepId === undefined || l.stepId === query.stepId),
    );
    return clone(query.limit === undefined ? rows : rows.slice(0, Math.max(0, query.limit)));
  }

  async getTargets(environment?: string): Promise<TargetState[]> {
    this.check();
    const rows = [...this.targets.values()].filter(
      (t) => environment === undefined || t.environment === environment,
    );
    return clone(rows.sort((a, b) => compareText(targetKey(a), targetKey(b))));
  }

  async phaseDurations(environment: string): Promise<Record<string, Record<string, number>>> {
    this.check();
    const window = new Set(
      [...this.runs.values()]
        .filter((r) => r.environment === environment)
        .map((r) => r.id)
        .sort((a, b) => b - a)
        .slice(0, PHASE_HISTORY_RUNS),
    );
    const samples = [...this.steps.values()]
      .filter((s) => window.has(s.runId) && isDurationSample(s))
      .map((s) => ({ stepId: s.stepId, durationMs: s.durationMs as number }));
    return mediansByPhase(samples);
  }

  async acquireLock(
    environment: string,
    holder: LockHolder,
    leaseMs: number,
    now: number,
  ): Promise<LockResult> {
    this.check();
    const current = this.locks.get(environment);
    if (current && !mayTakeLock(current, holder, now, this.host, this.pidAlive)) {
      return { ok: false, holder: clone(current) };
    }
    this.locks.set(environment, { ...clone(holder), environment, acquiredAt: now, expiresAt: now + leaseMs });
    return { ok: true };
  }

  async renewLock(environment: string, runId: number, leaseMs: number, now: number): Promise<boolean> {
    this.check();
    const lock = this.locks.get(environment);
    if (lock?.runId !== runId) return false;
    lock.expiresAt = now + leaseMs;
    return true;
  }

  async transferLock(environment: string, fromRunId: number, toRunId: number): Promise<boolean> {
    this.check();
    const lock = this.locks.get(environment);
    if (lock?.runId !== fromRunId) return false;
    lock.runId = toRunId;
    return true;
  }

  async releaseLock(environment: string, runId: number): Promise<void> {
    this.check();
    if (this.locks.get(environment)?.runId === runId) this.locks.delete(environment);
  }

  async getLock(environment: string): Promise<LockInfo | undefined> {
    this.check();
    const lock = this.locks.get(environment);
    return lock && clone(lock);
  }

  async verifyChain(): Promise<ChainReport> {
    this.check();
    const result = verifyRows(this.events, this.headSeq);
    const problem =
      result.problem ??
      verifyPlans(
        this.events.filter((e) => e.type === 'run.created'),
        (id) => this.plans.get(id),
      );
    return { ok: problem === undefined, events: result.events, ...(problem ? { problem } : {}) };
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}
