/**
 * Environment locks with leases. Each function runs inside the caller's
 * IMMEDIATE transaction, so check-then-take is atomic across processes.
 */
import type { LockHolder, LockInfo, LockResult } from '../../model/store.js';
import { mayTakeLock, type PidAlive } from '../projection.js';
import { type LockRow, type Statements, toLock } from './rows.js';

const SELECT_LOCK_SQL =
  'SELECT environment, run_id, actor, pid, hostname, acquired_at, expires_at FROM locks WHERE environment = ?';

/** The environment's lock row, if any. */
export function getLock(sql: Statements, environment: string): LockInfo | undefined {
  const row = sql.get<LockRow>(SELECT_LOCK_SQL).get(environment);
  return row ? toLock(row) : undefined;
}

/** Takes the lock when it is free or `mayTakeLock` allows; otherwise reports the holder. */
export function acquireLock(
  sql: Statements,
  environment: string,
  holder: LockHolder,
  leaseMs: number,
  now: number,
  hostname: string,
  pidAlive: PidAlive,
): LockResult {
  const current = getLock(sql, environment);
  if (current && !mayTakeLock(current, holder, now, hostname, pidAlive)) {
    return { ok: false, holder: current };
  }
  sql
    .get(
      `INSERT INTO locks (environment, run_id, actor, pid, hostname, acquired_at, expires_at)
       VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (environment) DO UPDATE SET run_id = excluded.run_id, actor = excluded.actor,
       pid = excluded.pid, hostname = excluded.hostname, acquired_at = excluded.acquired_at,
       expires_at = excluded.expires_at`,
    )
    .run(environment, holder.runId, holder.actor, holder.pid, holder.hostname, now, now + leaseMs);
  return { ok: true };
}

/** Extends the lease from `now`, only while `runId` still holds the lock. */
export function renewLock(
  sql: Statements,
  environment: string,
  runId: number,
  leaseMs: number,
  now: number,
): boolean {
  const result = sql
    .get('UPDATE locks SET expires_at = ? WHERE environment = ? AND run_id = ?')
    .run(now + leaseMs, environment, runId);
  return result.changes > 0;
}

/** Re-labels the lock from one run to another, only while `fromRunId` holds it. */
export function transferLock(
  sql: Statements,
  environment: string,
  fromRunId: number,
  toRunId: number,
): boolean {
  const result = sql
    .get('UPDATE locks SET run_id = ? WHERE environment = ? AND run_id = ?')
    .run(toRunId, environment, fromRunId);
  return result.changes > 0;
}

/** Drops the lock, only if `runId` holds it. */
export function releaseLock(sql: Statements, environment: string, runId: number): void {
  sql.get('DELETE FROM locks WHERE environment = ? AND run_id = ?').run(environment, runId);
}
