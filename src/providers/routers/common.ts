/**
 * What every router shares: checking the backends it is asked to serve,
 * describing them in one log line, cancellation, and replacing a file
 * atomically (write a sibling, rename it over).
 */
import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { MarshalError } from '../../model/errors.js';
import type { Backend } from '../../model/traffic.js';

/** A name haproxy accepts for a server and that is safe in an nginx comment. */
const NAME = /^[A-Za-z0-9_.:-]+$/;
/** A host name, IPv4 or IPv6 address (brackets are added where a config needs them). */
const ADDRESS = /^[A-Za-z0-9_.:%-]+$/;

/**
 * Refuses a backend set no router should serve: empty, duplicate or unsafe names,
 * addresses that could inject configuration, ports and weights out of range, or every
 * weight 0 (the router would answer every request with an error). Not retryable: the
 * same input fails the same way.
 */
export function checkBackends(kind: string, backends: readonly Backend[]): void {
  const problems: string[] = [];
  if (backends.length === 0) problems.push('no backends');
  const seen = new Set<string>();
  for (const b of backends) {
    if (!NAME.test(b.name)) problems.push(`backend name ${JSON.stringify(b.name)} is not [A-Za-z0-9_.:-]+`);
    else if (seen.has(b.name)) problems.push(`backend ${b.name} is listed twice`);
    seen.add(b.name);
    if (!ADDRESS.test(b.address))
      problems.push(`${b.name}: address ${JSON.stringify(b.address)} is not valid`);
    if (!Number.isInteger(b.port) || b.port < 1 || b.port > 65535)
      problems.push(`${b.name}: port ${b.port} is not 1–65535`);
    if (!Number.isInteger(b.weight) || b.weight < 0 || b.weight > 256)
      problems.push(`${b.name}: weight ${b.weight} is not 0–256`);
  }
  if (backends.length > 0 && backends.every((b) => b.weight === 0))
    problems.push('every backend has weight 0: nothing would serve the traffic');
  if (problems.length > 0) {
    throw new MarshalError('PROVIDER_ERROR', `${kind}: refused to apply: ${problems.join('; ')}`, {
      retryable: false,
      details: { problems },
    });
  }
}

/** `green-web1 (100), blue-web1 (0)`: what a router was asked, for its log line. */
export function describeBackends(backends: readonly Backend[]): string {
  return backends.map((b) => `${b.name} (${b.weight})`).join(', ');
}

/** `host:port`, with IPv6 addresses in brackets as nginx and haproxy both expect. */
export function hostPort(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

// Cancellation is the same for every provider.
export { abortError, sleep, throwIfAborted } from '../abort.js';

export function providerError(message: string, options: { retryable?: boolean; cause?: unknown } = {}) {
  return new MarshalError('PROVIDER_ERROR', message, options);
}

/** The message of anything thrown. */
export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** The file's text, or null when it does not exist. */
export async function readIfExists(path: string): Promise<string | null> {
  try {
    return await fsp.readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw providerError(`cannot read ${path}: ${messageOf(err)}`, { cause: err });
  }
}

/**
 * A temp file beside `path` (same file system, so the rename is atomic). Its name ends in
 * `.marshal-tmp`, so an `include *.conf` glob never picks it up.
 */
export async function writeSibling(path: string, text: string): Promise<string> {
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(4).toString('hex')}.marshal-tmp`);
  try {
    await fsp.writeFile(tmp, text, { mode: 0o644 });
  } catch (err) {
    throw providerError(`cannot write ${tmp}: ${messageOf(err)}`, { cause: err });
  }
  return tmp;
}

/** Replaces `path` with `text` atomically: readers see the old or the new file, never half of one. */
export async function replaceFile(path: string, text: string): Promise<void> {
  const tmp = await writeSibling(path, text);
  await moveInto(tmp, path);
}

/** Renames `tmp` over `path`; removes `tmp` when that fails. */
export async function moveInto(tmp: string, path: string): Promise<void> {
  try {
    await fsp.rename(tmp, path);
  } catch (err) {
    await fsp.rm(tmp, { force: true });
    throw providerError(`cannot replace ${path}: ${messageOf(err)}`, { cause: err });
  }
}

/** Puts `path` back as it was: `previous` text, or no file at all (null). */
export async function restoreFile(path: string, previous: string | null): Promise<void> {
  if (previous === null) await fsp.rm(path, { force: true });
  else await replaceFile(path, previous);
}

/**
 * Runs `fn` after every call queued before it has settled: two switches of one router
 * never interleave their file swaps and runtime commands.
 */
export function serialize(): <T>(fn: () => Promise<T>) => Promise<T> {
  let tail: Promise<unknown> = Promise.resolve();
  return (fn) => {
    const next = tail.then(fn, fn);
    tail = next.catch(() => undefined);
    return next;
  };
}
