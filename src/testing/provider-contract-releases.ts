/**
 * The Provider contract for releases: an upload appears complete or not at all, is not
 * repeated once in place, and keeps a read-only artifact's modes; a switch points `current`
 * at a release with one atomic link change and is done once it does. Called by runProviderContract.
 */
import { describe, expect, it } from 'vitest';
import type { Action } from '../model/provider.js';
import { type ContractRig, SWEEP_VARIABLE, type WhenRigReady } from './provider-contract-fixtures.js';
import { recordingIO } from './provider-testkit.js';

/** What a release of the test artifact holds. */
const ARTIFACT_TREE = ['.', './.marshal-release', './lib', './lib/util.txt', './link.txt', './server.mjs'];

export function describeReleases(whenReady: WhenRigReady): void {
  let rig: ContractRig;
  whenReady((r) => {
    rig = r;
  });
  const upload = (version: string, source = rig.files.artifact): Action => ({
    kind: 'upload',
    version,
    source,
  });
  const switchTo = (version: string, keep = 5): Action => ({ kind: 'switch', version, keep });

  describe('upload', () => {
    it('copies the artifact into releases/<version>, links as links, marked complete; then it is done', async () => {
      expect(await rig.isDone(upload('v1'))).toBe(false);
      const io = await rig.apply(upload('v1'));
      expect(io.text('info')).toHaveLength(1);
      expect(io.text('info')[0]).toContain(`uploaded ${rig.files.artifact} → releases/v1`);
      // Nothing but the release under releases/: no temp directory left.
      expect(await rig.sh('ls -A api/releases')).toEqual(['v1']);
      expect(await rig.sh('cd api/releases/v1 && find . | sort')).toEqual(ARTIFACT_TREE);
      expect(await rig.sh('cat api/releases/v1/lib/util.txt; readlink api/releases/v1/link.txt')).toEqual([
        'util',
        'server.mjs',
      ]);
      const [marker] = await rig.sh('cat api/releases/v1/.marshal-release');
      expect(JSON.parse(marker ?? '')).toMatchObject({ version: 'v1', source: rig.files.artifact });
      expect(await rig.isDone(upload('v1'))).toBe(true);
    });

    it('marks the copy as its own over a marker the artifact brings, even a link, writing nowhere else', async () => {
      await rig.apply(upload('v1', rig.files.markedArtifact));
      const marker = 'api/releases/v1/.marshal-release';
      expect(await rig.sh(`[ -L ${marker} ] && echo link || echo file`)).toEqual(['file']);
      const [text] = await rig.sh(`cat ${marker}`);
      expect(JSON.parse(text ?? '')).toMatchObject({ version: 'v1', source: rig.files.markedArtifact });
      // Where the link pointed (api/outside.txt, from the upload's temp directory) nothing was written.
      expect(await rig.sh('ls -A api')).toEqual(['releases']);
    });

    it('an upload already in place is not repeated', async () => {
      await rig.apply(upload('v1'));
      await rig.sh('echo "changed on the target" >api/releases/v1/server.mjs');
      const io = await rig.apply(upload('v1'));
      expect(io.text('info')).toEqual(['release v1 is already uploaded']);
      expect(await rig.sh('cat api/releases/v1/server.mjs')).toEqual(['changed on the target']);
    });

    it('a release left without its marker (a crash) is not done, and is replaced whole', async () => {
      await rig.sh('mkdir -p api/releases/v1 && echo half >api/releases/v1/half-copied');
      expect(await rig.isDone(upload('v1'))).toBe(false);
      const io = await rig.apply(upload('v1'));
      expect(io.text('info')[0]).toBe('replacing incomplete release v1');
      expect(await rig.sh('cd api/releases/v1 && find . | sort')).toEqual(ARTIFACT_TREE);
      expect(await rig.isDone(upload('v1'))).toBe(true);
    });

    it('fails for good when the artifact is missing, leaving nothing on the target', async () => {
      const missing = `${rig.files.work}/no-such-artifact`;
      const { error } = await rig.failure(upload('v1', missing));
      expect(error).toMatchObject({
        code: 'PROVIDER_ERROR',
        retryable: false,
        message: `artifact directory ${missing} does not exist or is not a directory`,
      });
      expect(await rig.sh('ls -A api/releases 2>/dev/null || true')).toEqual([]);
    });

    it('cancelled, leaves no release and no partial copy behind', async () => {
      const io = recordingIO();
      const running = rig.apply(upload('v1'), io);
      io.controller.abort(); // lands while the upload is under way
      await expect(running).rejects.toMatchObject({ code: 'CANCELLED' });
      expect(await rig.sh('ls -A api/releases 2>/dev/null || true')).toEqual([]);
      expect(await rig.isDone(upload('v1'))).toBe(false);
    });

    it('a read-only artifact (root 0555, as Bazel and Nix make them) uploads and keeps its modes', async () => {
      const io = await rig.apply(upload('v1', rig.files.readOnlyArtifact));
      expect(io.text('info')[0]).toContain(`→ releases/v1`);
      const modes = await rig.sh('cd api/releases/v1 && stat -c "%n %a" . bin server.mjs bin/tool.mjs');
      expect(modes).toEqual(['. 555', 'bin 555', 'server.mjs 444', 'bin/tool.mjs 444']);
      expect(await rig.sh('ls -A api/releases/v1')).toEqual(['.marshal-release', 'bin', 'server.mjs']);
      expect(await rig.isDone(upload('v1', rig.files.readOnlyArtifact))).toBe(true);
    });
  });

  describe('switch', () => {
    it('points current at the release with a relative link, and is done once it does', async () => {
      await rig.upload(['v1', 'v2']);
      expect(await rig.isDone(switchTo('v1'))).toBe(false);
      expect((await rig.apply(switchTo('v1'))).text('info')).toEqual(['current → v1 (was none)']);
      expect(await rig.sh('readlink api/current')).toEqual(['releases/v1']);
      expect(await rig.isDone(switchTo('v1'))).toBe(true);

      expect((await rig.apply(switchTo('v2'))).text('info')).toEqual(['current → v2 (was v1)']);
      expect(await rig.sh('readlink api/current')).toEqual(['releases/v2']);
      expect(await rig.isDone(switchTo('v1'))).toBe(false);
      expect(await rig.isDone(switchTo('v2'))).toBe(true);
      // No temp link is left beside it.
      expect(await rig.sh('ls -A api')).toEqual(['current', 'releases']);
    });

    it('to the release already current changes nothing', async () => {
      await rig.upload(['v1']);
      await rig.apply(switchTo('v1'));
      expect((await rig.apply(switchTo('v1'))).text('info')).toEqual(['current → v1 (already)']);
      expect(await rig.sh('readlink api/current')).toEqual(['releases/v1']);
    });

    it('replaces the link atomically: a reader on the host never finds it missing', async () => {
      await rig.upload(['v1', 'v2']);
      await rig.apply(switchTo('v1'));
      await rig.sh(
        [
          `export ${SWEEP_VARIABLE}="$(pwd -P)"`,
          `setsid -f sh -c 'n=0; while [ ! -e stop ] && [ $n -lt 20000 ]; do readlink api/current || echo MISSING; n=$((n+1)); done >reads 2>&1; touch read-done' </dev/null >/dev/null 2>&1`,
        ].join('\n'),
      );
      for (let i = 0; i < 10; i++) {
        await rig.apply(switchTo('v2'));
        await rig.apply(switchTo('v1'));
      }
      const seen = await rig.sh(
        'touch stop; n=0; until [ -e read-done ]; do n=$((n+1)); [ $n -lt 500 ] || exit 1; sleep 0.02; done; sort -u reads',
      );
      expect(seen.length).toBeGreaterThan(0);
      expect(seen.filter((line) => line !== 'releases/v1' && line !== 'releases/v2')).toEqual([]);
    });

    it('fails for good when the release is missing or incomplete, leaving current as it was', async () => {
      await rig.upload(['v1']);
      await rig.apply(switchTo('v1'));
      await rig.sh('mkdir -p api/releases/v3');
      for (const version of ['v9', 'v3']) {
        const { error } = await rig.failure(switchTo(version));
        expect(error).toMatchObject({ code: 'PROVIDER_ERROR', retryable: false });
        expect(error.message).toContain(`release ${version} is missing or incomplete in `);
      }
      expect(await rig.sh('readlink api/current')).toEqual(['releases/v1']);
    });

    it('fails for good when current is not a link, and leaves it alone', async () => {
      await rig.upload(['v1']);
      await rig.sh('mkdir -p api/current && touch api/current/keep-me');
      const { error } = await rig.failure(switchTo('v1'));
      expect(error).toMatchObject({ code: 'PROVIDER_ERROR', retryable: false });
      expect(error.message).toContain('current at releases/v1');
      expect(await rig.sh('ls -A api/current')).toEqual(['keep-me']);
    });
  });
}
