/**
 * What to say when the store cannot be read or written. SQLite names a full disk `database or
 * disk is full` (SQLITE_FULL) at best, and `disk I/O error` (SQLITE_IOERR_*) when it was growing
 * its shared-memory file or syncing; neither says where, nor that space is what is missing. The
 * free space of the store's directory tells: a full disk is named as such, with the directory;
 * any other I/O error is named by its SQLite code and the file, with the space there is.
 */
import { statfsSync } from 'node:fs';
import { dirname } from 'node:path';
import { MarshalError } from '../../model/errors.js';

/** Below this much free space an I/O error is put down to a full disk (a WAL frame is ~4 KiB, the -shm grows by 32 KiB). */
export const NEARLY_FULL_BYTES = 1024 * 1024;

/** Free bytes under `dir` (as `df` shows them: what an unprivileged writer may use), or null when unknown. */
export type FreeSpace = (dir: string) => number | null;

export const freeSpace: FreeSpace = (dir) => {
  try {
    const fs = statfsSync(dir);
    return fs.bavail * fs.bsize;
  } catch {
    return null;
  }
};

function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = n / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

/**
 * The STORE_ERROR for `err`, thrown by SQLite (a `code` such as SQLITE_FULL or
 * SQLITE_IOERR_WRITE) or by the file system (an errno `code` such as ENOSPC) while working on
 * the store file `path`. `doing` says what failed (`cannot sync`), when not a plain statement.
 */
export function storeFailure(
  path: string,
  err: unknown,
  doing?: string,
  free: FreeSpace = freeSpace,
): MarshalError {
  const message = err instanceof Error ? err.message : String(err);
  const code = typeof (err as { code?: unknown })?.code === 'string' ? (err as { code: string }).code : '';
  const what = doing === undefined ? message : `${doing}: ${message}`;
  const dir = dirname(path);
  const full = code === 'SQLITE_FULL' || code === 'ENOSPC';
  const io = code.startsWith('SQLITE_IOERR') || code === 'EIO';
  if (!full && !io && code !== 'EDQUOT') {
    return new MarshalError('STORE_ERROR', `store ${path}: ${what}`, { cause: err });
  }
  const available = free(dir);
  const source = code.startsWith('SQLITE_') ? `SQLite: ${code}` : code;
  const details = { path, code, freeBytes: available };
  if (code === 'EDQUOT') {
    return new MarshalError('STORE_ERROR', `store ${path}: disk quota exceeded under ${dir} (${source})`, {
      cause: err,
      details: { ...details, cause: 'quota' },
      hint: `raise the quota or free space under ${dir}`,
    });
  }
  if (full || (available !== null && available < NEARLY_FULL_BYTES)) {
    const left = available === null ? '' : `${bytes(available)} free; `;
    return new MarshalError(
      'STORE_ERROR',
      `store ${path}: no space left on device under ${dir} (${left}${source}: ${what})`,
      { cause: err, details: { ...details, cause: 'no-space' }, hint: `free space under ${dir}` },
    );
  }
  const room = available === null ? '' : `; ${bytes(available)} free under ${dir}`;
  return new MarshalError('STORE_ERROR', `store ${path}: I/O error (${source}: ${what}${room})`, {
    cause: err,
    details: { ...details, cause: 'io' },
    hint: `check the disk under ${dir} (dmesg may say more)`,
  });
}
