/**
 * Small file-system operations the local provider builds on: atomic writes and links, tolerant reads.
 *
 * Lookups (stat, readlink, readdir, reading a small file) are synchronous on purpose: each is a
 * few microseconds of kernel time against a round trip through libuv's thread pool. What changes
 * the tree (creating a file, directory or link, renaming, removing) goes to the thread pool: it
 * costs 70–200 µs of kernel time here, and ten times that when the disk is busy — on the event
 * loop that was the largest part of a deploy of small releases to many hosts (each upload and
 * switch made eight such changes, one host after another), where the pool's four threads make
 * them side by side on the other core.
 */
import {
  chmodSync,
  close,
  fdatasync,
  fsync,
  lstatSync,
  mkdir,
  open,
  readdirSync,
  readFileSync,
  readlinkSync,
  rename,
  rm,
  type Stats,
  statSync,
  symlink,
  write,
  writeFile,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { isValidVersion } from '../../model/version.js';
import { type LocalLayout, RELEASE_MARKER, type ReleaseEntry } from './layout.js';

let tempCounter = 0;
const tempPrefix = `${process.pid.toString(36)}-${Date.now().toString(36)}`;

/**
 * A suffix for temp names that no other writer uses: this process's pid and start time (a
 * pid reused after a crash comes with a later time) and a counter. No random bytes: reading
 * them cost as much as the rest of a local switch.
 */
export function randomSuffix(): string {
  return `${tempPrefix}-${(tempCounter++).toString(36)}`;
}

function isErrno(err: unknown, ...codes: string[]): boolean {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  return code !== undefined && codes.includes(code);
}

// A missing path is an answer here, not an error: `throwIfNoEntry: false` spares the Error (and
// its stack) Node would build for ENOENT.

/** True when `path` exists (a dangling symlink counts as existing). */
export async function exists(path: string): Promise<boolean> {
  try {
    return lstatSync(path, { throwIfNoEntry: false }) !== undefined;
  } catch (err) {
    if (isErrno(err, 'ENOTDIR')) return false;
    throw err;
  }
}

/** True when `path` is a directory (following symlinks). */
export async function isDirectory(path: string): Promise<boolean> {
  try {
    return statSync(path, { throwIfNoEntry: false })?.isDirectory() === true;
  } catch (err) {
    if (isErrno(err, 'ENOTDIR')) return false;
    throw err;
  }
}

/** The target of the symlink at `path`, or null when there is none (missing, or not a link). */
export async function readLinkOrNull(path: string): Promise<string | null> {
  try {
    return readlinkSync(path);
  } catch (err) {
    if (isErrno(err, 'ENOENT', 'EINVAL', 'ENOTDIR')) return null;
    throw err;
  }
}

/** The trimmed text of `path`, or null when it does not exist. */
export async function readTextOrNull(path: string): Promise<string | null> {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch (err) {
    if (isErrno(err, 'ENOENT', 'ENOTDIR')) return null;
    throw err;
  }
}

// The callback API, promisified: `fs.promises` would load a dozen more of Node's modules
// (readline, watchers) into every deploy.
const mkdirPooled = promisify(mkdir);
const rmPooled = promisify(rm);
const writeFilePooled = promisify(writeFile);

/** Creates the directory `path` (and its parents with `recursive`), on the thread pool. */
export async function makeDir(
  path: string,
  options: { mode?: number; recursive?: boolean } = {},
): Promise<void> {
  await mkdirPooled(path, options);
}

/** Writes the new file `path` (it must not exist) with `mode` less the umask, on the thread pool. */
export function writeNewFile(path: string, content: string | Buffer, mode = 0o666): Promise<void> {
  return writeFilePooled(path, content, { mode, flag: 'wx' });
}

/** Creates the symlink `path` → `target`, on the thread pool. */
export const makeSymlink: (target: string, path: string) => Promise<void> = promisify(symlink);

/** Renames `from` to `to` (replacing a file or link there), on the thread pool. */
export const renamePath: (from: string, to: string) => Promise<void> = promisify(rename);

const openPooled = promisify(open);
const writePooled = promisify(write);
const fdatasyncPooled = promisify(fdatasync);
const fsyncPooled = promisify(fsync);
const closePooled = promisify(close);

/** Writes the new file `path` and flushes its data to the disk before it returns. */
async function writeNewFileDurably(path: string, content: string): Promise<void> {
  const fd = await openPooled(path, 'wx', 0o666);
  try {
    await writePooled(fd, content);
    await fdatasyncPooled(fd);
  } finally {
    await closePooled(fd);
  }
}

/** Flushes a directory's entries (a rename or link made in it) to the disk. */
export async function syncDirectory(dir: string): Promise<void> {
  const fd = await openPooled(dir, 'r');
  try {
    await fsyncPooled(fd);
  } finally {
    await closePooled(fd);
  }
}

/**
 * Writes `path` so readers see the old content or the new, never a partial file. `durable`
 * (the default): the content is on the disk before the rename, and the rename is before this
 * returns — without, a power cut can leave an empty file behind a rename that survived.
 */
export async function writeFileAtomic(
  path: string,
  content: string,
  { durable = true }: { durable?: boolean } = {},
): Promise<void> {
  const dir = dirname(path);
  const temp = join(dir, `.${basename(path)}.tmp-${randomSuffix()}`);
  try {
    if (durable) await writeNewFileDurably(temp, content);
    else await writeNewFile(temp, content);
    await renamePath(temp, path);
  } catch (err) {
    await removeIfPresent(temp);
    throw err;
  }
  if (durable) await syncDirectory(dir);
}

/** Points the symlink `path` at `target` atomically: a temp link renamed over the old one. */
export async function replaceSymlink(path: string, target: string): Promise<void> {
  const temp = `${path}.tmp-${randomSuffix()}`;
  try {
    await makeSymlink(target, temp);
    await renamePath(temp, path);
  } catch (err) {
    await removeIfPresent(temp);
    throw err;
  }
}

/**
 * Removes `path` when it is there, on the thread pool. A tree with directories its owner cannot
 * write — a read-only artifact: Bazel's and Nix's outputs are — cannot be emptied as it is: then
 * its directories are opened up (ownerCanEmpty) and the removal is tried once more.
 */
export async function removeIfPresent(path: string): Promise<void> {
  try {
    await rmPooled(path, { force: true, recursive: true });
  } catch (err) {
    if (!isErrno(err, 'EACCES', 'EPERM')) throw err;
    ownerCanEmpty(path);
    await rmPooled(path, { force: true, recursive: true });
  }
}

/** Gives the owner read, write and search on `path` and every directory under it (links are not followed). */
export function ownerCanEmpty(path: string): void {
  const stats = lstatSync(path, { throwIfNoEntry: false });
  if (stats?.isDirectory() !== true) return;
  if ((stats.mode & 0o700) !== 0o700) chmodSync(path, (stats.mode & 0o7777) | 0o700);
  for (const entry of readdirSync(path, { withFileTypes: true }))
    if (entry.isDirectory()) ownerCanEmpty(join(path, entry.name));
}

/**
 * The uploaded releases of a service with their upload time. Only directories
 * named like a version count: in-flight upload temp dirs are never listed.
 */
export async function listReleases(l: LocalLayout): Promise<ReleaseEntry[]> {
  let names: string[];
  try {
    names = readdirSync(l.releasesDir);
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return [];
    throw err;
  }
  const entries: ReleaseEntry[] = [];
  for (const name of names) {
    if (!isValidVersion(name)) continue;
    const dir = join(l.releasesDir, name);
    // The marker is written once, at upload; the directory's own mtime moves whenever a file is added to it.
    const marker = statOrNull(join(dir, RELEASE_MARKER));
    const info = marker ?? statOrNull(dir);
    if (info === null || (marker === null && !info.isDirectory())) continue;
    entries.push({ version: name, mtimeMs: info.mtimeMs });
  }
  return entries;
}

function statOrNull(path: string): Stats | null {
  try {
    return statSync(path, { throwIfNoEntry: false }) ?? null;
  } catch {
    return null;
  }
}
