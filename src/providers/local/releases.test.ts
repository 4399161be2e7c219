/**
 * What only the local provider does with release trees: small ones are copied and removed
 * in-process, large ones by cp and rm in its shells (small-tree.ts). What every provider does
 * with releases is in the provider contract (testing/provider-contract-releases.ts, -prune.ts).
 */
import { lstat, mkdir, readdir, readFile, readlink, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Action, TargetContext } from '../../model/provider.js';
import { recordingIO, removeDir, targetContext, tempDir } from '../../testing/provider-testkit.js';
import { layout, RELEASE_MARKER } from './layout.js';
import { LocalProvider } from './provider.js';
import { SMALL_TREE } from './small-tree.js';

let work: string;
let root: string;
let artifact: string;
let target: TargetContext;
/** Upload times, one second apart, so prune order never hangs on a tie. */
let uploadClock = 1_700_000_000;
const provider = new LocalProvider();
const l = () => layout(root, 'api');

beforeEach(async () => {
  work = await tempDir();
  root = join(work, 'root');
  artifact = join(work, 'artifact');
  await mkdir(join(artifact, 'lib'), { recursive: true });
  await writeFile(join(artifact, 'app.txt'), 'app\n');
  await writeFile(join(artifact, 'lib', 'util.txt'), 'util\n');
  await symlink('app.txt', join(artifact, 'link.txt'));
  target = targetContext(root, work);
});
afterEach(() => removeDir(work));

async function apply(action: Action, io = recordingIO()) {
  await provider.apply(action, target, io);
  return io;
}

/** Uploads `versions` in order. */
async function uploadAll(...versions: string[]) {
  for (const version of versions) {
    await apply({ kind: 'upload', version, source: artifact });
    uploadClock += 1;
    await utimes(join(l().releasesDir, version, RELEASE_MARKER), uploadClock, uploadClock);
  }
}

describe('release trees, small and large', () => {
  const action: Action = { kind: 'upload', version: 'v1', source: '' };

  it('copies what an artifact path that is a symlink points at, not the link (small and large)', async () => {
    const link = join(work, 'artifact-link');
    await symlink(artifact, link);
    const many = join(artifact, 'many');
    await mkdir(many);
    for (let i = 0; i < SMALL_TREE.entries + 5; i++) await writeFile(join(many, `f${i}`), '');
    await apply({ ...action, source: link });
    const dir = join(l().releasesDir, 'v1');
    expect((await lstat(dir)).isDirectory()).toBe(true);
    expect(await readFile(join(dir, 'app.txt'), 'utf8')).toBe('app\n');
    // The marker is the release's own, not written into the artifact.
    expect(await readdir(artifact)).not.toContain(RELEASE_MARKER);
    // Small enough to copy in-process: the same.
    await rm(many, { recursive: true });
    await apply({ ...action, version: 'v2', source: link });
    expect((await lstat(join(l().releasesDir, 'v2'))).isDirectory()).toBe(true);
    expect(await readdir(artifact)).not.toContain(RELEASE_MARKER);
  });

  it('uploads and prunes an artifact too large to copy in-process (cp and rm in the shells)', async () => {
    const many = join(artifact, 'many');
    await mkdir(many);
    const names = Array.from({ length: SMALL_TREE.entries + 10 }, (_, i) => `f${i}.txt`);
    for (const name of names) await writeFile(join(many, name), `${name}\n`);
    await uploadAll('v1', 'v2');
    const copied = join(l().releasesDir, 'v1', 'many');
    expect((await readdir(copied)).sort()).toEqual([...names].sort());
    expect(await readFile(join(copied, 'f7.txt'), 'utf8')).toBe('f7.txt\n');
    expect(await readlink(join(l().releasesDir, 'v1', 'link.txt'))).toBe('app.txt');
    await apply({ kind: 'switch', version: 'v1', keep: 5 });
    await uploadAll('v3');
    const io = await apply({ kind: 'switch', version: 'v3', keep: 2 });
    expect(io.text('info')).toEqual(['current → v3 (was v1)', 'pruned v2 (keeping 2)']);
    expect((await readdir(l().releasesDir)).sort()).toEqual(['v1', 'v3']);
  });
});
