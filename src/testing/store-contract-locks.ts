/**
 * The RunStore contract for environment locks: taking a free lock, lease
 * expiry and re-entry, taking over from a dead process on this host (but not
 * another host), renew/release by the holder only, and handing a provisional
 * lock to the run it creates. Called by runStoreContract.
 */
import { spawnSync } from 'node:child_process';
import { hostname } from 'node:os';
import { describe, expect, it } from 'vitest';
import type { LockHolder, RunStore } from '../model/store.js';
import { newRun, type WhenHarnessOpens } from './store-contract-fixtures.js';

export function describeLocks(whenOpened: WhenHarnessOpens): void {
  let store: RunStore;
  whenOpened((h) => {
    store = h.store;
  });

  describe('locks', () => {
    const holder = (runId: number, extra: Partial<LockHolder> = {}): LockHolder => ({
      runId,
      actor: 'alice',
      pid: process.pid,
      hostname: hostname(),
      ...extra,
    });

    it('a free lock is taken; a held one reports its holder', async () => {
      expect(await store.getLock('prod')).toBeUndefined();
      expect(await store.acquireLock('prod', holder(1), 1000, 5000)).toEqual({ ok: true });
      expect(await store.getLock('prod')).toEqual({
        ...holder(1),
        environment: 'prod',
        acquiredAt: 5000,
        expiresAt: 6000,
      });
      const refused = await store.acquireLock('prod', holder(2, { actor: 'bob' }), 1000, 5500);
      expect(refused).toEqual({ ok: false, holder: await store.getLock('prod') });
      expect(await store.acquireLock('staging', holder(2), 1000, 5500)).toEqual({ ok: true });
    });

    it('an expired lease is taken over; the same run re-enters', async () => {
      await store.acquireLock('prod', holder(1), 1000, 5000);
      expect(await store.acquireLock('prod', holder(1), 1000, 5500)).toEqual({ ok: true });
      expect((await store.getLock('prod'))?.expiresAt).toBe(6500);
      expect((await store.acquireLock('prod', holder(2), 1000, 6499)).ok).toBe(false);
      expect(await store.acquireLock('prod', holder(2), 1000, 6500)).toEqual({ ok: true });
      expect((await store.getLock('prod'))?.runId).toBe(2);
    });

    it('a dead process on this host loses its lock; one on another host does not', async () => {
      const child = spawnSync(process.execPath, ['-e', '']);
      const deadPid = child.pid as number;
      await store.acquireLock('prod', holder(1, { pid: deadPid }), 60_000, 5000);
      expect(await store.acquireLock('prod', holder(2), 60_000, 5001)).toEqual({ ok: true });
      await store.acquireLock(
        'staging',
        holder(1, { pid: deadPid, hostname: 'elsewhere.invalid' }),
        60_000,
        5000,
      );
      expect((await store.acquireLock('staging', holder(2), 60_000, 5001)).ok).toBe(false);
    });

    it('only the holder renews or releases', async () => {
      await store.acquireLock('prod', holder(1), 1000, 5000);
      expect(await store.renewLock('prod', 2, 1000, 5500)).toBe(false);
      expect(await store.renewLock('prod', 1, 1000, 5500)).toBe(true);
      expect((await store.getLock('prod'))?.expiresAt).toBe(6500);
      expect(await store.renewLock('staging', 1, 1000, 5500)).toBe(false);
      await store.releaseLock('prod', 2);
      expect((await store.getLock('prod'))?.runId).toBe(1);
      await store.releaseLock('prod', 1);
      expect(await store.getLock('prod')).toBeUndefined();
      expect(await store.renewLock('prod', 1, 1000, 5600)).toBe(false);
    });

    it("hands a provisional holder's lock to the run it creates, keeping its lease", async () => {
      await store.acquireLock('prod', holder(-7), 1000, 5000);
      const run = await store.createRun(newRun('prod', 5100), { takeLockFrom: -7 });
      expect(await store.getLock('prod')).toMatchObject({ runId: run.id, acquiredAt: 5000, expiresAt: 6000 });
      expect(await store.renewLock('prod', -7, 1000, 5500)).toBe(false);
      expect(await store.renewLock('prod', run.id, 1000, 5500)).toBe(true);
    });

    it('creates no run when the provisional holder has lost the lock', async () => {
      await store.acquireLock('prod', holder(-7), 1000, 5000);
      // Its lease ran out and another process took the lock over.
      await store.acquireLock('prod', holder(-8), 1000, 6000);
      await expect(store.createRun(newRun('prod', 6100), { takeLockFrom: -7 })).rejects.toMatchObject({
        code: 'LOCK_HELD',
      });
      await expect(store.createRun(newRun('staging', 6100), { takeLockFrom: -8 })).rejects.toMatchObject({
        code: 'LOCK_HELD',
      });
      expect(await store.listRuns()).toEqual([]);
      expect(await store.getEvents({})).toEqual([]);
      expect((await store.getLock('prod'))?.runId).toBe(-8);
    });
  });
}
