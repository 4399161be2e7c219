/**
 * MemoryStore's lock table: one lease per environment, taken, renewed, handed
 * to another run and released by the same rules as the durable stores
 * (store/projection.ts's mayTakeLock decides when a held lock may be taken).
 * Holders are copied in and out, as if they had been through a database.
 */
import type { LockHolder, LockInfo, LockResult } from '../model/store.js';
import { mayTakeLock } from '../store/projection.js';
import { clone } from './memory-tables.js';

export class MemoryLocks {
  private readonly locks = new Map<string, LockInfo>();

  /**
   * @param host the host name locks are taken on
   * @param pidAlive whether a lock holder's pid is alive (a holder on `host` with a dead pid loses its lock)
   */
  constructor(
    private readonly host: string,
    private readonly pidAlive: (pid: number) => boolean,
  ) {}

  acquire(environment: string, holder: LockHolder, leaseMs: number, now: number): LockResult {
    const current = this.locks.get(environment);
    if (current && !mayTakeLock(current, holder, now, this.host, this.pidAlive)) {
      return { ok: false, holder: clone(current) };
    }
    this.locks.set(environment, { ...clone(holder), environment, acquiredAt: now, expiresAt: now + leaseMs });
    return { ok: true };
  }

  renew(environment: string, runId: number, leaseMs: number, now: number): boolean {
    const lock = this.locks.get(environment);
    if (lock?.runId !== runId) return false;
    lock.expiresAt = now + leaseMs;
    return true;
  }

  transfer(environment: string, fromRunId: number, toRunId: number): boolean {
    const lock = this.locks.get(environment);
    if (lock?.runId !== fromRunId) return false;
    lock.runId = toRunId;
    return true;
  }

  release(environment: string, runId: number): void {
    if (this.locks.get(environment)?.runId === runId) this.locks.delete(environment);
  }

  get(environment: string): LockInfo | undefined {
    const lock = this.locks.get(environment);
    return lock && clone(lock);
  }
}
