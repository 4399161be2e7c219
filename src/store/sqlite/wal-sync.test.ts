import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { WalSync } from './wal-sync.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function walFile(): string {
  const dir = mkdtempSync(join(tmpdir(), 'wal-sync-'));
  dirs.push(dir);
  const file = join(dir, 'state.db-wal');
  writeFileSync(file, 'frames');
  return file;
}

describe('WalSync', () => {
  it('answers many requests made while a sync runs with one more sync, not one each', async () => {
    const wal = new WalSync(walFile());
    const first = wal.sync();
    const waiting = Array.from({ length: 50 }, () => wal.sync());
    // Every request made while the first sync runs shares the one that follows it.
    expect(new Set(waiting).size).toBe(1);
    expect(waiting[0]).not.toBe(first);
    await Promise.all([first, ...waiting]);
    // Idle again: a new request starts a new sync at once.
    const later = wal.sync();
    expect(later).not.toBe(waiting[0]);
    await later;
    wal.close();
  });

  it('rejects when the file cannot be synced', async () => {
    const wal = new WalSync(join(tmpdir(), 'no-such-dir-for-wal-sync', 'state.db-wal'));
    await expect(wal.sync()).rejects.toThrow(/ENOENT/);
  });
});
