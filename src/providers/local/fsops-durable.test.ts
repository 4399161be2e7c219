/**
 * writeFileAtomic flushes the new file's data before the rename, and the directory after it:
 * without both, a power cut can leave an empty release marker behind a rename that survived.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { removeDir, tempDir } from '../../testing/provider-testkit.js';

const calls = vi.hoisted(() => [] as string[]);

vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs')>();
  const traced =
    (name: string, fn: (...args: never[]) => void) =>
    (...args: never[]) => {
      calls.push(name);
      return fn(...args);
    };
  return {
    ...fs,
    default: fs,
    fdatasync: traced('fdatasync', fs.fdatasync as never),
    fsync: traced('fsync', fs.fsync as never),
    rename: traced('rename', fs.rename as never),
  };
});

const { writeFileAtomic } = await import('./fsops.js');

let dir: string;
beforeEach(async () => {
  dir = await tempDir();
  calls.length = 0;
});
afterEach(() => removeDir(dir));

describe('writeFileAtomic', () => {
  it('syncs the data, renames, then syncs the directory', async () => {
    await writeFileAtomic(join(dir, 'marker'), '{"version":"v1"}\n');
    expect(calls).toEqual(['fdatasync', 'rename', 'fsync']);
    expect(readFileSync(join(dir, 'marker'), 'utf8')).toBe('{"version":"v1"}\n');
  });

  it('skips both for files no power loss can make wrong (pid files)', async () => {
    await writeFileAtomic(join(dir, 'service.pid'), '42\n', { durable: false });
    expect(calls).toEqual(['rename']);
  });
});
