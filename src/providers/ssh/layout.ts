/**
 * Where a service lives on a remote host: the local provider's layout under
 * the host's deploy root. A relative root is in the login user's home, where
 * every remote command starts.
 *
 * ```
 * <root>/<service>/releases/<version>/   one directory per release, with .marshal-release
 * <root>/<service>/current               relative symlink → releases/<version>
 * <root>/<service>/run/service.{pid,version,start}
 * <root>/<service>/logs/service.log
 * ```
 */
import { posix } from 'node:path';
import { MarshalError } from '../../model/errors.js';
import { isValidVersion } from '../../model/version.js';

export interface RemoteLayout {
  /** The deploy root, normalized; relative means in the home directory. */
  root: string;
  serviceDir: string;
}

/** Marker written into a release directory once its copy is complete (as the local provider). */
export const RELEASE_MARKER = '.marshal-release';
/** Prefix of in-flight upload directories under releases/ (never a valid version). */
export const UPLOAD_TEMP_PREFIX = '.upload-';

const SERVICE = /^[a-z0-9]([a-z0-9._-]*[a-z0-9])?$/;

const unsafe = (message: string) => new MarshalError('PROVIDER_ERROR', message, { retryable: false });

/** The layout of `service` under the remote deploy `root`. Throws PROVIDER_ERROR (not retryable) for unsafe input. */
export function remoteLayout(root: string, service: string): RemoteLayout {
  if (root.trim() === '' || /[\0\n\r]/.test(root))
    throw unsafe(`host root ${JSON.stringify(root)} is not a path`);
  // `~` and `~/x` mean the home directory, where commands start: make them relative.
  const homeRelative = root === '~' ? '.' : root.startsWith('~/') ? root.slice(2) || '.' : root;
  if (homeRelative.startsWith('~'))
    throw unsafe(`host root "${root}": only ~/ (the login user's home) is supported`);
  if (!SERVICE.test(service)) throw unsafe(`service name "${service}" is not a safe directory name`);
  const normalized = posix.normalize(homeRelative).replace(/(.)\/+$/, '$1');
  return { root: normalized, serviceDir: posix.join(normalized, service) };
}

/** Checks `version` names a directory we may create and delete. */
export function checkedVersion(version: string): string {
  if (!isValidVersion(version)) throw unsafe(`version "${version}" is not a safe directory name`);
  return version;
}

/** The release directory of `version` (relative to the home when the root is). */
export function remoteReleaseDir(l: RemoteLayout, version: string): string {
  return posix.join(l.serviceDir, 'releases', checkedVersion(version));
}

/** A remote path as messages show it: `~/deploy/api` for one in the home directory. */
export function displayPath(path: string): string {
  if (path.startsWith('/')) return path;
  return path === '.' ? '~' : `~/${path}`;
}
