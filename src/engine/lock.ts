/**
 * One run at a time per environment: a lock with a lease. The holder renews
 * the lease while it works; a crashed holder's lease expires (or, on the
 * same host, its dead pid frees the lock at once).
 */
import type { Clock } from '../model/clock.js';
import { formatDuration } from '../model/duration.js';
import { MarshalError } from '../model/errors.js';
import type { LockHolder, LockInfo, RunStore } from '../model/store.js';

export interface LockOptions {
  leaseMs: number;
  /** Queue behind the holder instead of failing. */
  wait: boolean;
  signal?: AbortSignal;
  /** Told once when the lock is busy and we wait. */
  onWaiting?(holder: LockInfo): void;
}

function heldError(environment: string, holder: LockInfo, now: number): MarshalError {
  const who = holder.runId > 0 ? `run #${holder.runId}` : 'a run being created';
  return new MarshalError(
    'LOCK_HELD',
    `${environment} is locked by ${who} (${holder.actor}, pid ${holder.pid} on ${holder.hostname}, for ${formatDuration(now - holder.acquiredAt)})`,
    { details: { holder } },
  );
}

/** Takes the environment's lock, waiting for it when asked to. */
export async function acquireLock(
  store: RunStore,
  clock: Clock,
  environment: string,
  holder: LockHolder,
  options: LockOptions,
): Promise<void> {
  let told = false;
  for (;;) {
    const result = await store.acquireLock(environment, holder, options.leaseMs, clock.now());
    if (result.ok) return;
    if (!options.wait) throw heldError(environment, result.holder, clock.now());
    if (!told) {
      options.onWaiting?.(result.holder);
      told = true;
    }
    try {
      await clock.sleep(250, options.signal);
    } catch {
      throw new MarshalError('CANCELLED', `gave up waiting for the ${environment} lock`);
    }
  }
}

/**
 * Renews the lease every third of it until stopped; reports a lost lock — with the store's error
 * when the renewal could not be written (the run cannot go on without its lease either way).
 */
export function keepLease(
  store: RunStore,
  clock: Clock,
  environment: string,
  runId: number,
  leaseMs: number,
  onLost: (storeError?: unknown) => void,
): { stop(): void } {
  const stopped = new AbortController();
  void (async () => {
    for (;;) {
      try {
        await clock.sleep(Math.max(50, Math.floor(leaseMs / 3)), stopped.signal);
      } catch {
        return;
      }
      let failure: unknown;
      const held = await store.renewLock(environment, runId, leaseMs, clock.now()).catch((error) => {
        failure = error;
        return false;
      });
      if (!held && !stopped.signal.aborted) {
        onLost(failure);
        return;
      }
    }
  })();
  return { stop: () => stopped.abort() };
}
