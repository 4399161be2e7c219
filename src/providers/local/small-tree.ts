/**
 * Copying and removing small directory trees without a process.
 *
 * Release trees are copied and pruned by `cp -R` and `rm -rf` in the provider's shells: for a
 * large tree one process beats thousands of thread-pool trips. But a fork and exec cost ~1 ms
 * of CPU, and many artifacts are a handful of files (a binary, a config, a static site): those
 * are read here, with synchronous calls of a few microseconds each, and written and removed by
 * Node on its thread pool (whose threads, not the event loop, pay for the creations and unlinks).
 * The walk that decides stops at the directory that takes it past SMALL_TREE.entries, so
 * deciding about a large tree costs little more than a small one; a copy reads and writes at
 * most SMALL_TREE.bytes.
 */
import {
  chmodSync,
  type Dirent,
  lstatSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  statSync,
} from 'node:fs';
import { join } from 'node:path';
import { makeDir, makeSymlink, writeNewFile } from './fsops.js';

/** What counts as small: copied or removed here rather than by a process. */
export const SMALL_TREE = { entries: 64, bytes: 1 << 20 };

export interface TreeEntry {
  /** Relative to the tree's root; parents come before their children. */
  path: string;
  kind: 'dir' | 'file' | 'link';
  mode: number;
}

/**
 * Walks the tree under `root`, parents before children, calling `visit` with each entry's
 * relative path; false as soon as there are more than `limit` entries or `visit` answers false.
 * One `readdir` per directory (the kernel's file types, no stat).
 */
function walk(root: string, limit: number, visit: (path: string, entry: Dirent) => boolean): boolean {
  let seen = 0;
  const pending = [''];
  for (let relative = pending.pop(); relative !== undefined; relative = pending.pop()) {
    for (const entry of readdirSync(join(root, relative), { withFileTypes: true })) {
      if (++seen > limit) return false;
      const path = relative === '' ? entry.name : join(relative, entry.name);
      if (!visit(path, entry)) return false;
      if (entry.isDirectory()) pending.push(path);
    }
  }
  return true;
}

/**
 * The entries under `root`, when it is a directory of at most `limits.entries` entries and
 * `limits.bytes` of file content holding only directories, files and symlinks; otherwise null.
 * Throws when `root` cannot be read (missing, not a directory).
 */
export function smallTree(root: string, limits = SMALL_TREE): TreeEntry[] | null {
  const entries: TreeEntry[] = [];
  let bytes = 0;
  const small = walk(root, limits.entries, (path, entry) => {
    const kind = entry.isDirectory()
      ? 'dir'
      : entry.isFile()
        ? 'file'
        : entry.isSymbolicLink()
          ? 'link'
          : null;
    if (kind === null) return false; // a socket, fifo or device: `cp` knows what to do
    // Links need no stat; files and directories are created with their mode, and sizes add up.
    const stats = kind === 'link' ? null : lstatSync(join(root, path));
    if (kind === 'file') bytes += stats?.size ?? 0;
    entries.push({ path, kind, mode: (stats?.mode ?? 0) & 0o7777 });
    return bytes <= limits.bytes;
  });
  return small ? entries : null;
}

/**
 * Copies the directory `source` (whose entries `smallTree` listed) to `dest`, which must not
 * exist, as `cp -R -P` does: modes are the source's less the umask (the kernel applies it on
 * create) and without setuid, setgid or sticky bits; symlinks are copied as they are.
 * Reading is done here; creating goes to the thread pool (fsops.ts): directories first, parents
 * before children, then every file and link side by side.
 */
export async function copySmallTree(
  source: string,
  dest: string,
  entries: readonly TreeEntry[],
): Promise<void> {
  const root: TreeEntry = { path: '', kind: 'dir', mode: statSync(source).mode & 0o7777 };
  // A directory its owner cannot write is filled first and gets its mode at the end.
  const readOnly: TreeEntry[] = [];
  // Directories one by one, in the walk's order (parents first); nothing else is in flight yet.
  for (const entry of [root, ...entries]) {
    if (entry.kind !== 'dir') continue;
    const mode = entry.mode & 0o777;
    await makeDir(join(dest, entry.path), { mode: mode | 0o700 });
    if ((mode & 0o700) !== 0o700) readOnly.push(entry);
  }
  // Then every file and link at once. Each is its own promise (a failed read rejects it, it does
  // not throw past the others), and all end before this returns: the caller then removes `dest`.
  const leaves = entries
    .filter((entry) => entry.kind !== 'dir')
    .map(async (entry) => {
      const from = join(source, entry.path);
      const to = join(dest, entry.path);
      // At most SMALL_TREE.bytes in all: read whole, written with O_EXCL and the mode to create.
      if (entry.kind === 'file') await writeNewFile(to, readFileSync(from), entry.mode & 0o777);
      else await makeSymlink(readlinkSync(from), to);
    });
  const failed = (await Promise.allSettled(leaves)).find((r) => r.status === 'rejected');
  if (failed !== undefined) throw failed.reason;
  for (const dir of readOnly.reverse()) {
    const to = join(dest, dir.path);
    // Created with the owner's bits added, less the umask: take back only the owner's bits added.
    chmodSync(to, statSync(to).mode & 0o777 & ~(0o700 & ~dir.mode));
  }
}

/**
 * True when `path` is a directory of at most `limits.entries` entries, or not a directory, or
 * absent: something Node removes in a few thread-pool trips rather than a process. Removing
 * files frees their blocks whatever their size: only the number of entries counts.
 */
export function isSmallTree(path: string, limits = SMALL_TREE): boolean {
  const stats = lstatSync(path, { throwIfNoEntry: false });
  return stats?.isDirectory() !== true || walk(path, limits.entries, () => true);
}
