/** Releases of a local service: atomic upload, the `current` link, pruning. */
import { chmodSync, lstatSync, realpathSync, unlinkSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { MarshalError } from '../../model/errors.js';
import type { StepIO } from '../../model/provider.js';
import { throwIfAborted } from '../abort.js';
import {
  exists,
  isDirectory,
  listReleases,
  makeDir,
  randomSuffix,
  readLinkOrNull,
  removeIfPresent,
  renamePath,
  replaceSymlink,
  writeFileAtomic,
} from './fsops.js';
import {
  currentLinkTarget,
  type LocalLayout,
  RELEASE_MARKER,
  releaseDir,
  releasesToPrune,
  UPLOAD_TEMP_PREFIX,
  versionOfLink,
} from './layout.js';

/** True when releases/<version> is complete (its marker is written last). */
export function isUploaded(l: LocalLayout, version: string): Promise<boolean> {
  return exists(join(releaseDir(l, version), RELEASE_MARKER));
}

/** The version `current` points at, or null when there is no `current`. */
export async function currentVersion(l: LocalLayout): Promise<string | null> {
  const target = await readLinkOrNull(l.current);
  return target === null ? null : versionOfLink(target);
}

/** True when `current` resolves to releases/<version> and that directory exists. */
export async function currentIs(l: LocalLayout, version: string): Promise<boolean> {
  const target = await readLinkOrNull(l.current);
  const dir = releaseDir(l, version);
  return target !== null && resolve(l.serviceDir, target) === dir && (await isDirectory(dir));
}

/** Copies and removes release trees; the provider's (small trees in-process, others by `cp`/`rm`). */
export interface TreeOps {
  /** Copies the tree `source` to `dest` (which does not exist), symlinks as they are. */
  copy(source: string, dest: string, io: StepIO): Promise<void>;
  /** Removes each of `paths` and everything under it; nothing for those absent. */
  remove(paths: readonly string[], io: StepIO): Promise<void>;
}

/**
 * Copies `source` into releases/<version>: into a temp dir first, marked complete
 * there, then renamed into place — the release appears whole or not at all. (A
 * directory without its marker, left by an older Marshal, is replaced.)
 */
export async function upload(
  l: LocalLayout,
  version: string,
  source: string,
  io: StepIO,
  tree: TreeOps,
): Promise<void> {
  const target = releaseDir(l, version);
  if (await isUploaded(l, version)) {
    io.log(`release ${version} is already uploaded`, 'info');
    return;
  }
  if (!(await isDirectory(source))) {
    throw new MarshalError(
      'PROVIDER_ERROR',
      `artifact directory ${source} does not exist or is not a directory`,
      {
        retryable: false,
        hint: 'check the service `artifact:` path; it is resolved from the file that declares the service',
      },
    );
  }
  if (!(await isDirectory(l.releasesDir))) await makeDir(l.releasesDir, { recursive: true });
  const temp = join(l.releasesDir, `${UPLOAD_TEMP_PREFIX}${version}-${randomSuffix()}`);
  try {
    throwIfAborted(io.signal);
    // The artifact's contents, also when its path is a symlink (`cp -P` would copy the link).
    await tree.copy(realpathSync.native(source), temp, io);
    const marker = { version, source, uploadedAt: new Date().toISOString() };
    // An artifact whose root its owner cannot write (Bazel's and Nix's outputs) is marked all the
    // same, and keeps its mode.
    const rootMode = lstatSync(temp).mode & 0o7777;
    const readOnly = (rootMode & 0o200) === 0;
    if (readOnly) chmodSync(temp, rootMode | 0o200);
    // Renamed over a marker the artifact brought along (a release copied back from a host), even
    // a link: written through, a link would put it wherever it points.
    await writeFileAtomic(join(temp, RELEASE_MARKER), `${JSON.stringify(marker)}\n`);
    if (readOnly) chmodSync(temp, rootMode);
    throwIfAborted(io.signal);
    if (await exists(target)) {
      if (await isUploaded(l, version)) {
        io.log(`release ${version} was uploaded meanwhile`, 'info');
        await removeIfPresent(temp);
        return;
      }
      io.log(`replacing incomplete release ${version}`, 'info');
      await removeIfPresent(target);
    }
    await renamePath(temp, target);
  } catch (err) {
    await removeIfPresent(temp);
    throw fsError(err, `cannot upload ${source} to ${target}`);
  }
  io.log(`uploaded ${source} → releases/${version}`, 'info');
}

/**
 * Points `current` at releases/<version> atomically, then prunes old releases
 * so `keep` remain (never the new one, never the one it replaced).
 */
export async function switchTo(
  l: LocalLayout,
  version: string,
  keep: number,
  io: StepIO,
  tree: TreeOps,
): Promise<void> {
  if (!(await isUploaded(l, version))) {
    throw new MarshalError(
      'PROVIDER_ERROR',
      `release ${version} is missing or incomplete in ${l.releasesDir}`,
      {
        retryable: false,
        hint: 'it was pruned or never uploaded; deploy it again',
      },
    );
  }
  // One read of the link: the release directory is known to exist (its marker does).
  const previousTarget = await readLinkOrNull(l.current);
  const previous = previousTarget === null ? null : versionOfLink(previousTarget);
  if (previousTarget !== null && resolve(l.serviceDir, previousTarget) === releaseDir(l, version)) {
    io.log(`current → ${version} (already)`, 'info');
  } else {
    try {
      await replaceSymlink(l.current, currentLinkTarget(version));
    } catch (err) {
      throw fsError(err, `cannot point ${l.current} at releases/${version}`, {
        retryable: false,
        hint: `${l.current} must be a symlink (or absent); move whatever is there away`,
      });
    }
    io.log(`current → ${version} (was ${previous ?? 'none'})`, 'info');
  }
  // Every link of the service (current, the new version, and the blue/green slots) keeps its release.
  const linked: string[] = [];
  for (const name of ['current', 'current-blue', 'current-green']) {
    if (join(l.serviceDir, name) === l.current) continue;
    const target = await readLinkOrNull(join(l.serviceDir, name));
    const linkedVersion = target === null ? null : versionOfLink(target);
    if (linkedVersion !== null) linked.push(linkedVersion);
  }
  await prune(l, keep, [version, ...(previous === null ? [] : [previous]), ...linked], io, tree);
}

/** Deletes releases beyond `keep`. A failed deletion is logged, not fatal: the switch itself is done. */
async function prune(
  l: LocalLayout,
  keep: number,
  protect: string[],
  io: StepIO,
  tree: TreeOps,
): Promise<void> {
  const doomed = releasesToPrune(await listReleases(l), keep, protect);
  if (doomed.length === 0) return;
  try {
    // One removal for them all: in the provider, one `rm` in a shell.
    await tree.remove(
      doomed.map((version) => releaseDir(l, version)),
      io,
    );
    io.log(`pruned ${doomed.join(', ')} (keeping ${keep})`, 'info');
  } catch (err) {
    io.log(`could not prune ${doomed.join(', ')}: ${(err as Error).message}`, 'info');
  }
}

/** Removes `current` (a restore to "nothing deployed"). */
export async function removeCurrent(l: LocalLayout, io: StepIO): Promise<void> {
  const previous = await currentVersion(l);
  if (!(await exists(l.current))) return;
  // unlink, not rm -r: the link goes, the release it pointed at stays.
  unlinkSync(l.current);
  io.log(`removed current (was ${previous ?? 'unknown'})`, 'info');
}

/** Wraps a file-system failure in PROVIDER_ERROR; MarshalErrors (an abort) pass through. */
export function fsError(
  err: unknown,
  what: string,
  options: { retryable?: boolean; hint?: string } = {},
): MarshalError {
  if (err instanceof MarshalError) return err;
  const why = err instanceof Error ? err.message : String(err);
  return new MarshalError('PROVIDER_ERROR', `${what}: ${why}`, { ...options, cause: err });
}
