/**
 * Row shapes of the SQLite tables and their mapping to model records, plus
 * a cache of prepared statements (preparing is the costly part of a query).
 */
import type Database from 'better-sqlite3';
import type { SerializedError } from '../../model/errors.js';
import type {
  LogStream,
  RunRecord,
  RunState,
  RunSummary,
  StepRecord,
  StepState,
  StoredEvent,
  StoredLogLine,
} from '../../model/run.js';
import type { LockInfo } from '../../model/store.js';
import { planFromJson } from '../plan-json.js';

/** Prepared statements by SQL text, prepared once per connection. */
export class Statements {
  private readonly cache = new Map<string, Database.Statement>();

  constructor(readonly db: Database.Database) {}

  get<Row = unknown>(sql: string): Database.Statement<unknown[], Row> {
    let stmt = this.cache.get(sql);
    if (!stmt) {
      stmt = this.db.prepare(sql);
      this.cache.set(sql, stmt);
    }
    return stmt as Database.Statement<unknown[], Row>;
  }
}

function parseError(text: string | null): SerializedError | null {
  return text === null ? null : (JSON.parse(text) as SerializedError);
}

/** A `runs` row; `changes` and `unchanged` are JSON (RunSummary's fields). */
export interface RunSummaryRow {
  id: number;
  environment: string;
  kind: RunRecord['kind'];
  state: RunState;
  actor: string;
  reason: string | null;
  config_digest: string;
  changes: string;
  unchanged: string;
  created_at: number;
  updated_at: number;
  ended_at: number | null;
  error: string | null;
}

/** A `runs` row joined with its plan. */
export interface RunRow extends RunSummaryRow {
  plan: string;
}

function runFields(r: RunSummaryRow): Omit<RunRecord, 'plan'> {
  return {
    id: r.id,
    environment: r.environment,
    kind: r.kind,
    state: r.state,
    actor: r.actor,
    reason: r.reason,
    configDigest: r.config_digest,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    endedAt: r.ended_at,
    error: parseError(r.error),
  };
}

export function toRun(r: RunRow): RunRecord {
  return { ...runFields(r), plan: planFromJson(r.plan) };
}

export function toRunSummary(r: RunSummaryRow): RunSummary {
  return {
    ...runFields(r),
    changes: JSON.parse(r.changes) as RunSummary['changes'],
    unchanged: JSON.parse(r.unchanged) as RunSummary['unchanged'],
  };
}

export interface StepRow {
  run_id: number;
  step_id: string;
  state: StepState;
  attempts: number;
  started_at: number | null;
  ended_at: number | null;
  duration_ms: number | null;
  error: string | null;
  note: string | null;
}

export function toStep(r: StepRow): StepRecord {
  return {
    runId: r.run_id,
    stepId: r.step_id,
    state: r.state,
    attempts: r.attempts,
    startedAt: r.started_at,
    endedAt: r.ended_at,
    durationMs: r.duration_ms,
    error: parseError(r.error),
    note: r.note,
  };
}

/** Bind parameters of a step row, in the column order of `STEP_COLUMNS`. */
export function stepParams(s: StepRecord): unknown[] {
  const error = s.error === null ? null : JSON.stringify(s.error);
  return [s.runId, s.stepId, s.state, s.attempts, s.startedAt, s.endedAt, s.durationMs, error, s.note];
}

export const STEP_COLUMNS =
  'run_id, step_id, state, attempts, started_at, ended_at, duration_ms, error, note';

export interface EventRow {
  seq: number;
  run_id: number;
  step_id: string | null;
  type: StoredEvent['type'];
  at: number;
  data: string;
  prev_hash: string;
  hash: string;
}

export function toEvent(r: EventRow): StoredEvent {
  const event = {
    seq: r.seq,
    runId: r.run_id,
    type: r.type,
    at: r.at,
    data: JSON.parse(r.data),
    prevHash: r.prev_hash,
    hash: r.hash,
  } as StoredEvent;
  if (r.step_id !== null) event.stepId = r.step_id;
  return event;
}

export interface LogRow {
  id: number;
  run_id: number;
  step_id: string;
  at: number;
  stream: LogStream;
  line: string;
}

export function toLog(r: LogRow): StoredLogLine {
  return { id: r.id, runId: r.run_id, stepId: r.step_id, at: r.at, stream: r.stream, line: r.line };
}

export interface LockRow {
  environment: string;
  run_id: number;
  actor: string;
  pid: number;
  hostname: string;
  acquired_at: number;
  expires_at: number;
}

export function toLock(r: LockRow): LockInfo {
  return {
    environment: r.environment,
    runId: r.run_id,
    actor: r.actor,
    pid: r.pid,
    hostname: r.hostname,
    acquiredAt: r.acquired_at,
    expiresAt: r.expires_at,
  };
}
