/**
 * Runs one process for a router (`nginx -t`, `haproxy -c`, a router command),
 * streaming its output line by line. The child leads its own process group so
 * an abort stops everything it started.
 */
import { spawn } from 'node:child_process';
import { StringDecoder } from 'node:string_decoder';
import { setTimeout as delay } from 'node:timers/promises';
import { abortError, providerError, throwIfAborted } from './common.js';

export interface RunOptions {
  cwd?: string;
  /** Added to this process's environment. */
  env?: Record<string, string>;
  signal: AbortSignal;
  onLine?(line: string, stream: 'stdout' | 'stderr'): void;
}

export interface RunResult {
  /** Exit status; null when a signal ended the process. */
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  /** The last lines of stderr (at most 20), for error messages. */
  stderr: string[];
}

/** nginx and haproxy live in sbin directories a non-root PATH often lacks. */
const SBIN = ['/usr/local/sbin', '/usr/sbin', '/sbin'];
const KILL_GRACE_MS = 2000;
const DRAIN_MS = 250;

/** PATH with the sbin directories appended (so `nginx` and `haproxy` are found for any user). */
export function withSbin(path: string | undefined): string {
  const parts = (path ?? '').split(':').filter((p) => p !== '');
  for (const dir of SBIN) if (!parts.includes(dir)) parts.push(dir);
  return parts.join(':');
}

/**
 * Runs `argv` to completion. A non-zero exit is a result, not an error; a process that
 * cannot start is a PROVIDER_ERROR; an abort kills the group (TERM, then KILL) and throws
 * the abort reason.
 */
export async function runArgv(argv: readonly string[], options: RunOptions): Promise<RunResult> {
  throwIfAborted(options.signal);
  const [file, ...args] = argv;
  if (file === undefined) throw providerError('nothing to run');
  const env = { ...process.env, ...options.env, PATH: withSbin(options.env?.PATH ?? process.env.PATH) };
  const child = spawn(file, args, {
    cwd: options.cwd,
    env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stderr: string[] = [];
  const split = (stream: 'stdout' | 'stderr') => {
    const decoder = new StringDecoder('utf8');
    let rest = '';
    const emit = (line: string) => {
      if (stream === 'stderr' && line.trim() !== '') {
        stderr.push(line);
        if (stderr.length > 20) stderr.shift();
      }
      options.onLine?.(line, stream);
    };
    child[stream].on('data', (chunk: Buffer) => {
      const lines = (rest + decoder.write(chunk)).split('\n');
      rest = lines.pop() ?? '';
      for (const line of lines) emit(line.endsWith('\r') ? line.slice(0, -1) : line);
    });
    child[stream].on('end', () => {
      if (rest !== '') emit(rest);
    });
  };
  split('stdout');
  split('stderr');

  let aborted = false;
  let killTimer: NodeJS.Timeout | undefined;
  const onAbort = () => {
    aborted = true;
    signalGroup(child.pid, 'SIGTERM');
    killTimer = setTimeout(() => signalGroup(child.pid, 'SIGKILL'), KILL_GRACE_MS);
    killTimer.unref();
  };
  options.signal.addEventListener('abort', onAbort, { once: true });
  try {
    const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
    const [exitCode, signal] = await new Promise<[number | null, NodeJS.Signals | null]>(
      (resolve, reject) => {
        child.once('error', (err) =>
          reject(providerError(`cannot run ${file}: ${err.message}`, { cause: err })),
        );
        child.once('exit', (code, sig) => resolve([code, sig]));
      },
    );
    // Read the output still in the pipes, but do not wait for a background child that keeps them open.
    const drained = await Promise.race([closed.then(() => true), delay(DRAIN_MS).then(() => false)]);
    if (!drained) {
      child.stdout.destroy();
      child.stderr.destroy();
    }
    if (aborted) throw abortError(options.signal);
    return { exitCode, signal, stderr };
  } finally {
    clearTimeout(killTimer);
    options.signal.removeEventListener('abort', onAbort);
  }
}

function signalGroup(pid: number | undefined, sig: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, sig);
  } catch {
    // The group is gone already.
  }
}

/** `exited 1`, or `killed by SIGTERM`. */
export function howItEnded(result: RunResult): string {
  return result.signal !== null ? `killed by ${result.signal}` : `exited ${result.exitCode}`;
}
