import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  statSync,
  unlinkSync,
} from 'node:fs';
import { symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { removeDir, tempDir } from '../../testing/provider-testkit.js';
import { copySmallTree, isSmallTree, SMALL_TREE, smallTree } from './small-tree.js';

let work: string;
let source: string;

beforeEach(async () => {
  work = await tempDir();
  source = join(work, 'source');
  mkdirSync(join(source, 'bin'), { recursive: true });
  mkdirSync(join(source, 'etc', 'conf.d'), { recursive: true });
  await writeFile(join(source, 'bin', 'app'), '#!/bin/sh\necho app\n', { mode: 0o755 });
  await writeFile(join(source, 'etc', 'conf.d', 'a.conf'), 'a=1\n', { mode: 0o640 });
  await symlink('bin/app', join(source, 'run'));
  await symlink('/nowhere', join(source, 'dangling'));
});
afterEach(async () => {
  // A read-only directory left by a test must not stop the cleanup.
  execFileSync('chmod', ['-R', 'u+w', work]);
  await removeDir(work);
});

describe('smallTree', () => {
  it('lists every entry with parents before their children', () => {
    const entries = smallTree(source);
    expect(entries?.map((e) => `${e.kind} ${e.path}`).sort()).toEqual([
      'dir bin',
      'dir etc',
      'dir etc/conf.d',
      'file bin/app',
      'file etc/conf.d/a.conf',
      'link dangling',
      'link run',
    ]);
    const order = entries?.map((e) => e.path) ?? [];
    expect(order.indexOf('etc')).toBeLessThan(order.indexOf('etc/conf.d'));
    expect(order.indexOf('etc/conf.d')).toBeLessThan(order.indexOf('etc/conf.d/a.conf'));
  });

  it('gives up beyond its entry or byte limit, and on anything but files, directories and links', () => {
    expect(smallTree(source, { entries: 6, bytes: SMALL_TREE.bytes })).toBeNull();
    expect(smallTree(source, { entries: 7, bytes: SMALL_TREE.bytes })).toHaveLength(7);
    expect(smallTree(source, { entries: 64, bytes: 10 })).toBeNull();
    execFileSync('mkfifo', [join(source, 'etc', 'pipe')]);
    expect(smallTree(source)).toBeNull();
  });

  it('throws for a missing directory', () => {
    expect(() => smallTree(join(work, 'missing'))).toThrow(/ENOENT/);
  });
});

describe('copySmallTree', () => {
  it('copies as cp -R -P does: contents, modes, links verbatim', async () => {
    const dest = join(work, 'dest');
    await copySmallTree(source, dest, smallTree(source) ?? []);
    expect(readFileSync(join(dest, 'bin', 'app'), 'utf8')).toBe('#!/bin/sh\necho app\n');
    expect(statSync(join(dest, 'bin', 'app')).mode & 0o777).toBe(0o755);
    expect(statSync(join(dest, 'etc', 'conf.d', 'a.conf')).mode & 0o777).toBe(0o640);
    expect(readlinkSync(join(dest, 'run'))).toBe('bin/app');
    expect(readlinkSync(join(dest, 'dangling'))).toBe('/nowhere');
    expect(execFileSync(join(dest, 'run'), { encoding: 'utf8' })).toBe('app\n');
  });

  it('gives every entry the mode cp -R -P gives it under the same umask (no setuid, umask applied)', async () => {
    await writeFile(join(source, 'open.txt'), 'anyone\n', { mode: 0o666 });
    chmodSync(join(source, 'open.txt'), 0o666);
    chmodSync(join(source, 'bin', 'app'), 0o4755);
    chmodSync(join(source, 'etc'), 0o777);
    chmodSync(join(source, 'etc', 'conf.d'), 0o555);
    const ours = join(work, 'ours');
    const theirs = join(work, 'theirs');
    const previous = process.umask(0o027);
    try {
      await copySmallTree(source, ours, smallTree(source) ?? []);
    } finally {
      process.umask(previous);
    }
    execFileSync('sh', ['-c', `umask 027 && cp -R -P "${source}" "${theirs}"`]);
    const modes = (root: string) =>
      ['', 'open.txt', 'bin', 'bin/app', 'etc', 'etc/conf.d', 'etc/conf.d/a.conf'].map(
        (path) => `${path} ${(lstatSync(join(root, path)).mode & 0o7777).toString(8)}`,
      );
    expect(modes(ours)).toEqual(modes(theirs));
    expect(modes(ours)).toContain('open.txt 640');
  });

  it('fills a directory its owner cannot write, then gives it its mode', async () => {
    chmodSync(join(source, 'etc', 'conf.d'), 0o555);
    const dest = join(work, 'dest');
    await copySmallTree(source, dest, smallTree(source) ?? []);
    expect(readdirSync(join(dest, 'etc', 'conf.d'))).toEqual(['a.conf']);
    expect(statSync(join(dest, 'etc', 'conf.d')).mode & 0o777).toBe(0o555);
  });

  it('fails with the first failed read, after every other entry is written', async () => {
    const entries = smallTree(source) ?? [];
    unlinkSync(join(source, 'bin', 'app'));
    const dest = join(work, 'dest');
    await expect(copySmallTree(source, dest, entries)).rejects.toThrow(/ENOENT/);
    expect(readFileSync(join(dest, 'etc', 'conf.d', 'a.conf'), 'utf8')).toBe('a=1\n');
  });

  it('refuses to copy over an existing destination', async () => {
    const dest = join(work, 'dest');
    mkdirSync(dest);
    await expect(copySmallTree(source, dest, smallTree(source) ?? [])).rejects.toThrow(/EEXIST/);
  });
});

describe('isSmallTree', () => {
  it('counts entries, not bytes; a file or a missing path is small', async () => {
    expect(isSmallTree(source, { entries: 7, bytes: 0 })).toBe(true);
    expect(isSmallTree(source, { entries: 6, bytes: 0 })).toBe(false);
    expect(isSmallTree(join(source, 'bin', 'app'), { entries: 0, bytes: 0 })).toBe(true);
    expect(isSmallTree(join(work, 'missing'))).toBe(true);
  });
});
