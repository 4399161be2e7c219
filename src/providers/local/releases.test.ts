import { lstat, mkdir, readdir, readFile, readlink, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Action, TargetContext } from '../../model/provider.js';
import { recordingIO, removeDir, targetContext, tempDir } from '../../testing/provider-testkit.js';
import { layout, RELEASE_MARKER } from './layout.js';
import { LocalProvider } from './provider.js';
import { SMALL_TREE } from './small-tree.js';
import { readLocalTarget } from './status.js';

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

describe('upload', () => {
  const action: Action = { kind: 'upload', version: 'v1', source: '' };

  it('marks the copy as ours even when the artifact brings a marker along (a release copied back)', async () => {
    await writeFile(join(artifact, RELEASE_MARKER), '{"version":"old"}\n');
    await apply({ ...action, source: artifact });
    const marker = JSON.parse(await readFile(join(l().releasesDir, 'v1', RELEASE_MARKER), 'utf8'));
    expect(marker).toMatchObject({ version: 'v1', source: artifact });
  });

  it('replaces a marker the artifact carries as a link, without writing where it points', async () => {
    const elsewhere = join(work, 'elsewhere.txt');
    await writeFile(elsewhere, 'untouched\n');
    await symlink(elsewhere, join(artifact, RELEASE_MARKER));
    await apply({ ...action, source: artifact });
    const marker = join(l().releasesDir, 'v1', RELEASE_MARKER);
    expect((await lstat(marker)).isFile()).toBe(true);
    expect(JSON.parse(await readFile(marker, 'utf8'))).toMatchObject({ version: 'v1' });
    expect(await readFile(elsewhere, 'utf8')).toBe('untouched\n');
  });

  it('copies the artifact into releases/<v>, keeps symlinks, and marks it', async () => {
    const upload = { ...action, source: artifact };
    expect(await provider.isDone(upload, target, recordingIO())).toBe(false);
    const io = await apply(upload);
    const dir = join(l().releasesDir, 'v1');
    expect(await readFile(join(dir, 'lib', 'util.txt'), 'utf8')).toBe('util\n');
    expect(await readlink(join(dir, 'link.txt'))).toBe('app.txt');
    expect(JSON.parse(await readFile(join(dir, RELEASE_MARKER), 'utf8'))).toMatchObject({ version: 'v1' });
    expect(await readdir(l().releasesDir)).toEqual(['v1']);
    expect(io.text('info')).toEqual([`uploaded ${artifact} → releases/v1`]);
    expect(await provider.isDone(upload, target, recordingIO())).toBe(true);
  });

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

  it('is idempotent: a second upload changes nothing', async () => {
    const upload = { ...action, source: artifact };
    await apply(upload);
    await writeFile(join(l().releasesDir, 'v1', 'app.txt'), 'changed on the target\n');
    const io = await apply(upload);
    expect(io.text('info')).toEqual(['release v1 is already uploaded']);
    expect(await readFile(join(l().releasesDir, 'v1', 'app.txt'), 'utf8')).toBe('changed on the target\n');
  });

  it('replaces a release left without its marker by a crash', async () => {
    const dir = join(l().releasesDir, 'v1');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'half-copied'), '');
    expect(await provider.isDone({ ...action, source: artifact }, target, recordingIO())).toBe(false);
    const io = await apply({ ...action, source: artifact });
    expect(io.text('info')[0]).toBe('replacing incomplete release v1');
    expect((await readdir(dir)).sort()).toEqual([RELEASE_MARKER, 'app.txt', 'lib', 'link.txt']);
  });

  it('fails for good when the artifact directory is missing, leaving nothing behind', async () => {
    const missing = join(work, 'nope');
    await expect(apply({ ...action, source: missing })).rejects.toMatchObject({
      code: 'PROVIDER_ERROR',
      retryable: false,
      message: `artifact directory ${missing} does not exist or is not a directory`,
    });
    expect(await readLocalTarget(root, 'api')).toEqual({
      current: null,
      pid: null,
      alive: false,
      version: null,
    });
  });

  it('throws the abort reason and cleans its temp dir when aborted', async () => {
    const io = recordingIO();
    const running = apply({ ...action, source: artifact }, io);
    io.controller.abort(); // lands while the upload awaits the file system
    await expect(running).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(await readdir(l().releasesDir)).toEqual([]);
  });
});

describe('switch', () => {
  it('points current at the release with a relative link, atomically', async () => {
    await uploadAll('v1', 'v2');
    const switchV1: Action = { kind: 'switch', version: 'v1', keep: 5 };
    expect(await provider.isDone(switchV1, target, recordingIO())).toBe(false);
    expect((await apply(switchV1)).text('info')).toEqual(['current → v1 (was none)']);
    expect(await readlink(l().current)).toBe('releases/v1');
    expect(await provider.isDone(switchV1, target, recordingIO())).toBe(true);

    const switchV2: Action = { kind: 'switch', version: 'v2', keep: 5 };
    expect((await apply(switchV2)).text('info')).toEqual(['current → v2 (was v1)']);
    expect(await provider.isDone(switchV1, target, recordingIO())).toBe(false);
    expect(await provider.isDone(switchV2, target, recordingIO())).toBe(true);
    expect((await readdir(l().serviceDir)).sort()).toEqual(['current', 'releases']);
    expect((await readLocalTarget(root, 'api')).current).toBe('v2');
  });

  it('fails for good when the release is missing', async () => {
    await expect(apply({ kind: 'switch', version: 'v9', keep: 5 })).rejects.toMatchObject({
      code: 'PROVIDER_ERROR',
      retryable: false,
    });
  });

  it('prunes beyond keep, oldest first, never the previous release', async () => {
    await uploadAll('v1', 'v2', 'v3', 'v4');
    await apply({ kind: 'switch', version: 'v1', keep: 10 });
    const io = await apply({ kind: 'switch', version: 'v4', keep: 2 });
    expect(io.text('info')).toEqual(['current → v4 (was v1)', 'pruned v2, v3 (keeping 2)']);
    expect((await readdir(l().releasesDir)).sort()).toEqual(['v1', 'v4']);
  });

  it('keeps the newest releases over a rolling sequence of deploys', async () => {
    for (const version of ['v1', 'v2', 'v3', 'v4', 'v5']) {
      await uploadAll(version);
      await apply({ kind: 'switch', version, keep: 3 });
    }
    expect((await readdir(l().releasesDir)).sort()).toEqual(['v3', 'v4', 'v5']);
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

  it('never prunes the temp dir of an upload in flight', async () => {
    await uploadAll('v1', 'v2', 'v3');
    const inFlight = join(l().releasesDir, '.upload-v9-abc123');
    await mkdir(inFlight);
    await apply({ kind: 'switch', version: 'v3', keep: 1 });
    expect((await readdir(l().releasesDir)).sort()).toEqual(['.upload-v9-abc123', 'v3']);
  });
});
