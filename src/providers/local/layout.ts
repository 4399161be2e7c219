/**
 * Where everything of a service lives under a local host's deploy root, and
 * the pure decisions about it. Nothing here touches the file system.
 *
 * ```
 * <root>/<service>/releases/<version>/   one directory per uploaded release
 * <root>/<service>/current               relative symlink → releases/<version>
 * <root>/<service>/run/service.pid       pid of the running process (its group leader)
 * <root>/<service>/run/service.version   version that process runs
 * <root>/<service>/run/service.start     kernel start time of that pid (guards against pid reuse)
 * <root>/<service>/run/service.exit      "<pid> <status>" written by the process's wrapper when it ends
 * <root>/<service>/logs/service.log      stdout + stderr of the process
 * ```
 */
import { isAbsolute, join } from 'node:path';
import { MarshalError } from '../../model/errors.js';
import { isValidVersion } from '../../model/version.js';

export interface LocalLayout {
  serviceDir: string;
  releasesDir: string;
  current: string;
  runDir: string;
  pidFile: string;
  versionFile: string;
  startTimeFile: string;
  exitFile: string;
  /** The value of MARSHAL_INSTANCE in the environment of the processes started here (procfs.ts). */
  instance: string;
  logsDir: string;
  logFile: string;
}

/** Marker written into a release directory once its copy is complete. */
export const RELEASE_MARKER = '.marshal-release';
/** Prefix of in-flight upload directories under releases/ (never a valid version, so never pruned). */
export const UPLOAD_TEMP_PREFIX = '.upload-';

const SERVICE = /^[a-z0-9]([a-z0-9._-]*[a-z0-9])?$/;

/**
 * Every path of `service` under `root`. With a `slot` (blue-green, canary), the
 * link, pid, version and log files are the slot's own (`current-blue`,
 * `run/blue.pid`…); releases are shared. Throws PROVIDER_ERROR (not retryable) for unsafe input.
 */
export function layout(root: string, service: string, slot?: 'blue' | 'green'): LocalLayout {
  if (!isAbsolute(root)) {
    throw new MarshalError('PROVIDER_ERROR', `host root "${root}" is not an absolute path`, {
      retryable: false,
    });
  }
  // Names become path segments under a directory we delete from: refuse anything but a plain name.
  if (!SERVICE.test(service)) {
    throw new MarshalError('PROVIDER_ERROR', `service name "${service}" is not a safe directory name`, {
      retryable: false,
    });
  }
  // Normalised once; below it, checked names are appended (path.join cost more than the rest
  // of a step's path work).
  const serviceDir = join(root, service);
  const runDir = `${serviceDir}/run`;
  const logsDir = `${serviceDir}/logs`;
  const name = slot ?? 'service';
  return {
    serviceDir,
    releasesDir: `${serviceDir}/releases`,
    current: `${serviceDir}/${slot === undefined ? 'current' : `current-${slot}`}`,
    runDir,
    pidFile: `${runDir}/${name}.pid`,
    versionFile: `${runDir}/${name}.version`,
    startTimeFile: `${runDir}/${name}.start`,
    exitFile: `${runDir}/${name}.exit`,
    instance: `${runDir}/${name}`,
    logsDir,
    logFile: `${logsDir}/${name}.log`,
  };
}

/** Absolute directory of one release. */
export function releaseDir(l: LocalLayout, version: string): string {
  return `${l.releasesDir}/${checkedVersion(version)}`;
}

/** What `current` links to for `version`: relative, so the deploy root can be moved or mounted elsewhere. */
export function currentLinkTarget(version: string): string {
  return `releases/${checkedVersion(version)}`;
}

/** The version a `current` link target names, or null when it is not one of ours. */
export function versionOfLink(target: string): string | null {
  const match = /^(?:.*\/)?releases\/([^/]+)\/?$/.exec(target);
  const version = match?.[1];
  return version !== undefined && isValidVersion(version) ? version : null;
}

function checkedVersion(version: string): string {
  if (!isValidVersion(version)) {
    throw new MarshalError('PROVIDER_ERROR', `version "${version}" is not a safe directory name`, {
      retryable: false,
    });
  }
  return version;
}

export interface ReleaseEntry {
  version: string;
  /** When the release was uploaded (its marker's mtime; the directory's when it has none). */
  mtimeMs: number;
}

/**
 * The releases to delete so that `keep` remain. The protected versions (the
 * new current and the one it replaced) always stay and count towards `keep`;
 * the other slots go to the newest releases. Result: oldest first.
 */
export function releasesToPrune(
  releases: readonly ReleaseEntry[],
  keep: number,
  protect: readonly string[],
): string[] {
  const newestFirst = [...releases].sort(
    (a, b) => b.mtimeMs - a.mtimeMs || b.version.localeCompare(a.version),
  );
  const kept = new Set(protect.filter((v) => releases.some((r) => r.version === v)));
  for (const release of newestFirst) {
    if (kept.size >= keep) break;
    kept.add(release.version);
  }
  return newestFirst
    .filter((r) => !kept.has(r.version))
    .map((r) => r.version)
    .reverse();
}
