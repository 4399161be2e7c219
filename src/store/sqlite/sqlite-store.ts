/**
 * The embedded store: one SQLite file in WAL mode, synchronous = FULL, so a
 * resolved `append` is on disk. better-sqlite3 is synchronous; the async
 * methods only satisfy the RunStore contract (and keep errors as rejections).
 * Several processes may share a file: every write is a BEGIN IMMEDIATE
 * transaction and reads the chain head inside it.
 */
import { hostname } from 'node:os';
import type Database from 'better-sqlite3';
import { MarshalError } from '../../model/errors.js';
import type {
  LiveTargets,
  LogLine,
  NewEvent,
  RunRecord,
  RunSpan,
  RunSummary,
  StepRecord,
  StepState,
  StoredEvent,
  StoredLogLine,
  TargetGroup,
  TargetState,
} from '../../model/run.js';
import type {
  ChainReport,
  EventQuery,
  LockHolder,
  LockInfo,
  LockResult,
  NewRun,
  RunQuery,
  RunStore,
} from '../../model/store.js';
import { planToJson } from '../plan-json.js';
import { createdEvent, createdRun, LEASE_ONLY, lockLost, type PidAlive } from '../projection.js';
import { storeFailure } from './failure.js';
import * as locks from './locks.js';
import * as queries from './queries.js';
import { Statements } from './rows.js';
import { type OpenOptions, openDatabase } from './schema.js';
import * as targetQueries from './target-queries.js';
import { WalSync } from './wal-sync.js';
import { EventWriter } from './writer.js';

export interface SqliteStoreOptions extends OpenOptions {
  /**
   * Whether a lock holder's pid is alive on this host (the CLI passes providers/process.ts
   * `isAlive`); without it a dead holder's lock is freed only when its lease expires.
   */
  pidAlive?: PidAlive;
}

/** The RunStore over one SQLite file; open it with {@link SqliteStore.open} (or `openStore`). */
export class SqliteStore implements RunStore {
  private readonly sql: Statements;
  private readonly writer: EventWriter;
  private readonly host = hostname();
  private readonly wal: WalSync;

  private constructor(
    /** Absolute path of the database file. */
    readonly path: string,
    private readonly db: Database.Database,
    private readonly pidAlive: PidAlive,
  ) {
    this.sql = new Statements(db);
    this.writer = new EventWriter(this.sql);
    this.wal = new WalSync(`${path}-wal`);
  }

  /** Opens (creating and migrating unless read-only) the store at `path`. */
  static open(path: string, options: SqliteStoreOptions = {}): SqliteStore {
    return new SqliteStore(path, openDatabase(path, options), options.pidAlive ?? LEASE_ONLY);
  }

  /** Runs `fn` now; its errors become rejected promises, SQLite's as STORE_ERROR naming the cause (failure.ts). */
  private call<T>(fn: () => T): Promise<T> {
    try {
      return Promise.resolve(fn());
    } catch (err) {
      if (err instanceof MarshalError) return Promise.reject(err);
      return Promise.reject(storeFailure(this.path, err));
    }
  }

  /** One transaction wrapper for every write: better-sqlite3 builds a new one per `transaction()` call. */
  private readonly inTransaction = (fn: () => unknown): unknown => fn();
  private transaction: Database.Transaction<(fn: () => unknown) => unknown> | undefined;

  private immediate<T>(fn: () => T): T {
    this.transaction ??= this.db.transaction(this.inTransaction);
    return this.transaction.immediate(fn) as T;
  }

  /** Runs a write transaction now; resolves once it is on disk (group-committed, see wal-sync.ts). */
  private async write<T>(fn: () => T): Promise<T> {
    const result = await this.call(() => this.immediate(fn));
    try {
      await this.wal.sync();
    } catch (err) {
      throw storeFailure(this.path, err, 'cannot sync');
    }
    return result;
  }

  createRun(run: NewRun, options: { takeLockFrom?: number } = {}): Promise<RunRecord> {
    return this.write(() => {
      const id = this.writer.nextRunId();
      const from = options.takeLockFrom;
      // Thrown inside the transaction: it rolls back and no run is left behind.
      if (from !== undefined && !locks.transferLock(this.sql, run.environment, from, id))
        throw lockLost(run.environment, id);
      const planJson = planToJson(run.plan);
      this.writer.createRun(id, run, planJson);
      return { ...createdRun(createdEvent(id, run, planJson), run.plan) };
    });
  }

  append(events: NewEvent[], logs: LogLine[] = []): Promise<void> {
    if (events.length === 0 && logs.length === 0) return this.call(() => undefined);
    return this.write(() => {
      if (logs.length > 0) {
        const insert = this.sql.get(
          'INSERT INTO logs (run_id, step_id, at, stream, line) VALUES (?, ?, ?, ?, ?)',
        );
        for (const l of logs) insert.run(l.runId, l.stepId, l.at, l.stream, l.line);
      }
      if (events.length > 0) this.writer.append(events);
    });
  }

  getRun(id: number): Promise<RunRecord | undefined> {
    return this.call(() => queries.getRun(this.sql, id));
  }

  getRunSummary(id: number): Promise<RunSummary | undefined> {
    return this.call(() => queries.getRunSummary(this.sql, id));
  }

  listRuns(query?: RunQuery): Promise<RunSummary[]> {
    return this.call(() => queries.listRuns(this.sql, query));
  }

  getSteps(runId: number, query: { states?: StepState[] } = {}): Promise<StepRecord[]> {
    return this.call(() => queries.getSteps(this.sql, runId, query.states));
  }

  getRunSpans(runId: number): Promise<RunSpan[]> {
    return this.call(() => queries.getRunSpans(this.sql, runId));
  }

  countSteps(runId: number): Promise<Partial<Record<StepState, number>>> {
    return this.call(() => queries.countSteps(this.sql, runId));
  }

  getEvents(query: EventQuery): Promise<StoredEvent[]> {
    return this.call(() => queries.getEvents(this.sql, query));
  }

  getLogs(query: {
    runId: number;
    stepId?: string;
    afterId?: number;
    limit?: number;
  }): Promise<StoredLogLine[]> {
    return this.call(() => queries.getLogs(this.sql, query));
  }

  getTargets(environment?: string): Promise<TargetState[]> {
    return this.call(() => targetQueries.getTargets(this.sql, environment));
  }

  liveTargets(environment: string): Promise<LiveTargets> {
    return this.call(() => targetQueries.liveTargets(this.sql, environment));
  }

  targetGroups(environment: string | undefined, namedUpTo: number): Promise<TargetGroup[]> {
    return this.call(() => targetQueries.targetGroups(this.sql, environment, namedUpTo));
  }

  phaseDurations(
    environment: string,
    services: readonly string[],
  ): Promise<Record<string, Record<string, number>>> {
    return this.call(() => queries.phaseDurations(this.sql, environment, services));
  }

  acquireLock(environment: string, holder: LockHolder, leaseMs: number, now: number): Promise<LockResult> {
    return this.write(() =>
      locks.acquireLock(this.sql, environment, holder, leaseMs, now, this.host, this.pidAlive),
    );
  }

  renewLock(environment: string, runId: number, leaseMs: number, now: number): Promise<boolean> {
    return this.write(() => locks.renewLock(this.sql, environment, runId, leaseMs, now));
  }

  releaseLock(environment: string, runId: number): Promise<void> {
    return this.write(() => locks.releaseLock(this.sql, environment, runId));
  }

  getLock(environment: string): Promise<LockInfo | undefined> {
    return this.call(() => locks.getLock(this.sql, environment));
  }

  verifyChain(): Promise<ChainReport> {
    return this.call(() => queries.verifyChain(this.sql));
  }

  close(): Promise<void> {
    return this.call(() => {
      this.wal.close();
      if (this.db.open) this.db.close();
    });
  }
}
