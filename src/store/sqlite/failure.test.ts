import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { NewRun } from '../../model/store.js';
import { storeTestPlan } from '../../testing/store-contract.js';
import { storeFailure } from './failure.js';
import { SqliteStore } from './sqlite-store.js';

const sqliteError = (code: string, message: string) => Object.assign(new Error(message), { code });
const free = (bytes: number | null) => () => bytes;

describe('storeFailure', () => {
  const path = '/srv/app/.marshal/state.db';

  it('names a full disk and its directory: SQLITE_FULL, ENOSPC, or an I/O error with (nearly) no space left', () => {
    const full = storeFailure(
      path,
      sqliteError('SQLITE_FULL', 'database or disk is full'),
      undefined,
      free(0),
    );
    expect(full.message).toBe(
      'store /srv/app/.marshal/state.db: no space left on device under /srv/app/.marshal (0 B free; SQLite: SQLITE_FULL: database or disk is full)',
    );
    expect(full).toMatchObject({ code: 'STORE_ERROR', hint: 'free space under /srv/app/.marshal' });
    expect(full.details).toMatchObject({ cause: 'no-space', code: 'SQLITE_FULL', freeBytes: 0 });

    const shm = storeFailure(
      path,
      sqliteError('SQLITE_IOERR_SHMSIZE', 'disk I/O error'),
      undefined,
      free(12_288),
    );
    expect(shm.message).toContain('no space left on device under /srv/app/.marshal (12 KiB free');

    const sync = storeFailure(
      path,
      sqliteError('ENOSPC', 'ENOSPC: no space left on device, fdatasync'),
      'cannot sync',
    );
    expect(sync.message).toContain('no space left on device under /srv/app/.marshal');
    expect(sync.message).toContain('cannot sync: ENOSPC');
  });

  it('is honest about another I/O error: its SQLite code, the file, and the space there is', () => {
    const io = storeFailure(
      path,
      sqliteError('SQLITE_IOERR_WRITE', 'disk I/O error'),
      undefined,
      free(50 * 2 ** 30),
    );
    expect(io.message).toBe(
      'store /srv/app/.marshal/state.db: I/O error (SQLite: SQLITE_IOERR_WRITE: disk I/O error; 50 GiB free under /srv/app/.marshal)',
    );
    expect(io.details).toMatchObject({ cause: 'io' });
  });

  it('names a quota, and leaves other errors as SQLite says them', () => {
    expect(storeFailure(path, sqliteError('EDQUOT', 'quota'), undefined, free(1e9)).message).toContain(
      'disk quota exceeded under /srv/app/.marshal',
    );
    const other = storeFailure(path, sqliteError('SQLITE_CORRUPT', 'database disk image is malformed'));
    expect(other.message).toBe('store /srv/app/.marshal/state.db: database disk image is malformed');
  });
});

describe('a store on a full file system (a real tmpfs; needs root)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'marshal-full-'));
  let mounted = false;
  afterAll(() => {
    if (mounted) execFileSync('umount', ['-l', dir]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('rejects a write with STORE_ERROR naming the full disk; freed, it writes again', async () => {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', dir]);
    mounted = true;
    const store = SqliteStore.open(join(dir, 'state.db'));
    const run: NewRun = {
      environment: 'prod',
      kind: 'deploy',
      actor: 'alice',
      reason: null,
      plan: storeTestPlan('prod'),
      at: 1000,
    };
    const created = await store.createRun(run);
    const filler = join(dir, 'filler');
    try {
      writeFileSync(filler, Buffer.alloc(2 * 1024 * 1024));
    } catch {
      // ENOSPC: every block is taken now, which is the point.
    }
    const event = {
      type: 'run.state' as const,
      runId: created.id,
      at: 2000,
      data: { state: 'running' as const },
    };
    await expect(store.append([event])).rejects.toMatchObject({
      code: 'STORE_ERROR',
      message: expect.stringContaining(`no space left on device under ${dir}`),
    });
    rmSync(filler);
    await store.append([event]);
    expect((await store.getRun(created.id))?.state).toBe('running');
    await store.close();
  });
});
