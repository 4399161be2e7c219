/**
 * The Provider contract for restore, the step a rollback runs: to a version it switches back
 * and restarts that version (leaving it alone when it already runs); to nothing it stops the
 * service — recorded or not — and removes `current`, keeping the releases. `isDone` tells
 * before and after. Called by runProviderContract.
 */
import { describe, expect, it } from 'vitest';
import type { Action } from '../model/provider.js';
import type { ContractRig, WhenRigReady } from './provider-contract-fixtures.js';

export function describeRestore(whenReady: WhenRigReady): void {
  let rig: ContractRig;
  whenReady((r) => {
    rig = r;
  });
  const restore = (version: string | null, withProcess = true): Action => ({
    kind: 'restore',
    version,
    keep: 5,
    process: withProcess ? rig.spec(version ?? 'v1') : null,
  });

  describe('restore', () => {
    it('to a version: switches back and restarts it, then is done; again, it changes nothing', async () => {
      await rig.deploy('v1');
      await rig.deploy('v2');
      expect(await rig.isDone(restore('v1'))).toBe(false);
      await rig.apply(restore('v1'));
      await rig.apply(rig.health('v1'));
      expect(await rig.sh('readlink api/current')).toEqual(['releases/v1']);
      expect(await rig.answer()).toBe('v1');
      expect(await rig.isDone(restore('v1'))).toBe(true);

      const pid = await rig.recordedPid();
      const io = await rig.apply(restore('v1'));
      expect(io.text('info')).toEqual(['current → v1 (already)', `v1 is already running (pid ${pid})`]);
      expect(await rig.recordedPid()).toBe(pid);
    });

    it('to the version already current whose process died: is not done, and starts it', async () => {
      await rig.deploy('v1');
      const dead = (await rig.recordedPid()) as number;
      await rig.crash(dead);
      expect(await rig.isDone(restore('v1'))).toBe(false);
      await rig.apply(restore('v1'));
      await rig.apply(rig.health('v1'));
      expect(await rig.recordedPid()).not.toBe(dead);
      expect(await rig.isDone(restore('v1'))).toBe(true);
    });

    it('to nothing: stops the process and removes current; the releases stay', async () => {
      await rig.deploy('v1');
      const pid = (await rig.recordedPid()) as number;
      expect(await rig.isDone(restore(null))).toBe(false);
      const io = await rig.apply(restore(null));
      expect(io.text('info')).toEqual([`stopping pid ${pid} (v1)`, 'removed current (was v1)']);
      expect(await rig.alive(pid)).toBe(false);
      expect(await rig.recordedPid()).toBeNull();
      expect(await rig.sh('ls -A api')).not.toContain('current');
      expect(await rig.sh('ls -A api/releases/v1')).toContain('server.mjs');
      expect(await rig.isDone(restore(null))).toBe(true);
      await expect(rig.answer()).rejects.toThrow();
    });

    it('to nothing stops an instance that was never recorded, and is not done while one runs', async () => {
      await rig.deploy('v1');
      const lost = (await rig.recordedPid()) as number;
      await rig.sh('rm -r api/run && rm api/current');
      expect(await rig.isDone(restore(null))).toBe(false);
      const io = await rig.apply(restore(null));
      expect(io.text('info')).toContain(
        `stopping pid ${lost} (v1): started for this service but never recorded (an interrupted run)`,
      );
      expect(await rig.alive(lost)).toBe(false);
      expect(await rig.markedGroups()).toEqual([]);
      expect(await rig.isDone(restore(null))).toBe(true);
    });

    it('to nothing, where nothing was ever deployed, is done already and changes nothing', async () => {
      expect(await rig.isDone(restore(null))).toBe(true);
      expect(await rig.isDone(restore(null, false))).toBe(true);
      expect((await rig.apply(restore(null))).text()).toEqual([]);
      expect(await rig.sh('ls -A api 2>/dev/null || true')).not.toContain('current');
    });

    it('without a process: only switches back', async () => {
      await rig.upload(['v1', 'v2']);
      await rig.apply({ kind: 'switch', version: 'v2', keep: 5 });
      expect(await rig.isDone(restore('v1', false))).toBe(false);
      await rig.apply(restore('v1', false));
      expect(await rig.sh('readlink api/current')).toEqual(['releases/v1']);
      expect(await rig.isDone(restore('v1', false))).toBe(true);
    });

    it('fails for good when the release to restore is gone', async () => {
      const { error } = await rig.failure(restore('v0', false));
      expect(error).toMatchObject({ code: 'PROVIDER_ERROR', retryable: false });
    });
  });
}
