/**
 * The Provider contract for pruning, which every switch does: the newest `keep` releases stay
 * (by upload time), never the new one nor the one it replaced, never a release any `current*`
 * link names (the blue and green slots' too), never an upload in flight; a read-only release
 * goes like any other. Called by runProviderContract.
 */
import { describe, expect, it } from 'vitest';
import type { Action } from '../model/provider.js';
import type { ContractRig, WhenRigReady } from './provider-contract-fixtures.js';

export function describePrune(whenReady: WhenRigReady): void {
  let rig: ContractRig;
  whenReady((r) => {
    rig = r;
  });
  const switchTo = (version: string, keep: number): Action => ({ kind: 'switch', version, keep });
  const releases = () => rig.sh('ls -A api/releases');

  describe('prune', () => {
    it('keeps the newest releases over a sequence of deploys', async () => {
      for (const version of ['v1', 'v2', 'v3', 'v4', 'v5']) {
        await rig.upload([version]);
        await rig.apply(switchTo(version, 3));
      }
      expect(await releases()).toEqual(['v3', 'v4', 'v5']);
    });

    it('never prunes the new release nor the one it replaced, however old', async () => {
      await rig.upload(['v1', 'v2', 'v3', 'v4']);
      await rig.apply(switchTo('v1', 10));
      const io = await rig.apply(switchTo('v4', 2));
      expect(io.text('info')).toEqual(['current → v4 (was v1)', 'pruned v2, v3 (keeping 2)']);
      expect(await releases()).toEqual(['v1', 'v4']);

      // Back to the oldest: it stays, and so does the one it replaced.
      await rig.upload(['v5']);
      expect((await rig.apply(switchTo('v1', 2))).text('info')).toEqual([
        'current → v1 (was v4)',
        'pruned v5 (keeping 2)',
      ]);
      expect(await releases()).toEqual(['v1', 'v4']);
    });

    it('never prunes a release a slot link (current-blue, current-green) names; they count towards keep', async () => {
      await rig.upload(['v1', 'v2', 'v3', 'v4', 'v5', 'v6']);
      await rig.sh('ln -s releases/v1 api/current-blue && ln -s releases/v2 api/current-green');
      await rig.apply(switchTo('v3', 10));
      const io = await rig.apply(switchTo('v6', 3));
      expect(io.text('info')).toEqual(['current → v6 (was v3)', 'pruned v4, v5 (keeping 3)']);
      expect(await releases()).toEqual(['v1', 'v2', 'v3', 'v6']);
      expect(await rig.sh('readlink api/current-blue api/current-green')).toEqual([
        'releases/v1',
        'releases/v2',
      ]);
    });

    it('reads a link that names its release by an absolute path as well', async () => {
      await rig.upload(['v1', 'v2', 'v3']);
      await rig.sh('ln -s "$(pwd -P)/api/releases/v1" api/current');
      const io = await rig.apply(switchTo('v3', 1));
      expect(io.text('info')).toEqual(['current → v3 (was v1)', 'pruned v2 (keeping 1)']);
      expect(await releases()).toEqual(['v1', 'v3']);
    });

    it('with room to spare, keeps the newest of the releases no link names', async () => {
      await rig.upload(['v1', 'v2', 'v3', 'v4', 'v5']);
      await rig.sh('ln -s releases/v1 api/current-green');
      await rig.apply(switchTo('v5', 3));
      expect(await releases()).toEqual(['v1', 'v4', 'v5']);
    });

    it('never prunes the temp directory of an upload in flight', async () => {
      await rig.upload(['v1', 'v2', 'v3']);
      await rig.sh('mkdir api/releases/.upload-v9-abc123');
      await rig.apply(switchTo('v3', 1));
      expect(await releases()).toEqual(['.upload-v9-abc123', 'v3']);
    });

    it('prunes a read-only release (its directories 0555) like any other', async () => {
      await rig.upload(['v1'], rig.files.readOnlyArtifact);
      await rig.upload(['v2', 'v3']);
      await rig.apply(switchTo('v1', 10));
      await rig.apply(switchTo('v2', 10));
      const io = await rig.apply(switchTo('v3', 1));
      expect(io.text('info')).toEqual(['current → v3 (was v2)', 'pruned v1 (keeping 1)']);
      expect(await releases()).toEqual(['v2', 'v3']);
    });
  });
}
