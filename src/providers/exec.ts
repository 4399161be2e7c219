/**
 * Runs one command to completion, streaming its output line by line. The
 * child leads its own process group so an abort stops everything it started.
 * Simple commands are spawned without a shell (see shell.ts).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { constants } from 'node:os';
import { MarshalError } from '../model/errors.js';
import { abortError, throwIfAborted } from './abort.js';
import { LineSplitter } from './lines.js';
import { KILL_GRACE_MS, terminateGroup } from './process.js';
import { shellFreeArgv, shortCommand } from './shell.js';

export interface RunProcessOptions {
  command: string;
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Aborting kills the process group (SIGTERM, SIGKILL after 2 s) and throws the abort reason. */
  signal: AbortSignal;
  onLine(line: string, stream: 'stdout' | 'stderr'): void;
  /** Always run through `/bin/sh -c`, even when the command looks simple. */
  forceShell?: boolean;
}

export interface ProcessResult {
  /** Exit status; null when a signal ended the process. */
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  /** Last non-empty line written to stderr, for error messages. */
  lastStderr: string | null;
}

/** How long output may still arrive after the process exited (a background child may hold the pipes). */
const DRAIN_MS = 250;

/**
 * Runs `command` and resolves with how it ended (a non-zero exit is a result,
 * not an error). Rejects with the abort reason when `signal` aborts, and with
 * PROVIDER_ERROR when the process cannot be started at all.
 */
export async function runProcess(options: RunProcessOptions): Promise<ProcessResult> {
  throwIfAborted(options.signal);
  const argv = options.forceShell ? null : shellFreeArgv(options.command);
  const result = await runOnce(argv ?? ['/bin/sh', '-c', options.command], options);
  // A script without a `#!` line: only the shell knows to run it.
  if (result === 'ENOEXEC') return runProcess({ ...options, forceShell: true });
  return result;
}

async function runOnce(argv: string[], o: RunProcessOptions): Promise<ProcessResult | 'ENOEXEC'> {
  const [file = '/bin/sh', ...args] = argv;
  let lastStderr: string | null = null;
  const out = new LineSplitter((line) => o.onLine(line, 'stdout'));
  const err = new LineSplitter((line) => {
    if (line.trim() !== '') lastStderr = line;
    o.onLine(line, 'stderr');
  });

  let child: ChildProcess;
  try {
    child = spawn(file, args, { cwd: o.cwd, env: o.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (cause) {
    throw cannotStart(o.command, cause);
  }
  const exited = new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
    child.once('exit', (code, sig) => resolve([code, sig])),
  );
  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const started = await new Promise<Error | null>((resolve) => {
    child.once('spawn', () => resolve(null));
    child.once('error', resolve);
  });
  child.stdout?.on('data', (chunk: Buffer) => out.write(chunk));
  child.stderr?.on('data', (chunk: Buffer) => err.write(chunk));
  if (started !== null) return spawnFailure(started as NodeJS.ErrnoException, file, o);

  const pid = child.pid as number;
  let stopping: Promise<unknown> | null = null;
  const onAbort = () => {
    stopping ??= terminateGroup(pid, KILL_GRACE_MS).catch(() => undefined);
  };
  o.signal.addEventListener('abort', onAbort, { once: true });
  if (o.signal.aborted) onAbort();
  try {
    const [exitCode, signal] = await exited;
    const drained = await Promise.race([closed.then(() => true), delay(DRAIN_MS).then(() => false)]);
    if (!drained) {
      child.stdout?.destroy();
      child.stderr?.destroy();
    }
    out.end();
    err.end();
    if (stopping !== null) {
      await stopping;
      throw abortError(o.signal);
    }
    return { exitCode, signal, lastStderr };
  } finally {
    o.signal.removeEventListener('abort', onAbort);
  }
}

function spawnFailure(
  error: NodeJS.ErrnoException,
  file: string,
  o: RunProcessOptions,
): ProcessResult | 'ENOEXEC' {
  if (error.code === 'ENOEXEC') return 'ENOEXEC';
  if (error.code === 'ENOENT' && !existsSync(o.cwd)) {
    throw new MarshalError('PROVIDER_ERROR', `working directory ${o.cwd} does not exist`, { cause: error });
  }
  // Report what `sh -c` would: 127 for a missing command, 126 for one that cannot be executed.
  const known: Record<string, [number, string]> = {
    ENOENT: [127, 'not found'],
    EACCES: [126, 'permission denied'],
  };
  const mapped = error.code === undefined ? undefined : known[error.code];
  if (mapped === undefined) throw cannotStart(o.command, error);
  const line = `${file}: ${mapped[1]}`;
  o.onLine(line, 'stderr');
  return { exitCode: mapped[0], signal: null, lastStderr: line };
}

function cannotStart(command: string, cause: unknown): MarshalError {
  const why = cause instanceof Error ? cause.message : String(cause);
  return new MarshalError('PROVIDER_ERROR', `cannot start \`${shortCommand(command)}\`: ${why}`, { cause });
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

/** The COMMAND_FAILED error for a command that ended badly: `command exited 3: <command> — <last stderr line>`. */
export function commandFailed(command: string, result: ProcessResult): MarshalError {
  const how =
    result.signal !== null ? `command killed by ${result.signal}` : `command exited ${result.exitCode}`;
  const tail = result.lastStderr === null ? '' : ` — ${shortCommand(result.lastStderr)}`;
  return new MarshalError('COMMAND_FAILED', `${how}: ${shortCommand(command)}${tail}`, {
    details: { exitCode: result.exitCode, signal: result.signal },
  });
}

/** The shell's view of how a process ended: its exit status, or 128 + the signal number. */
export function shellStatus(result: ProcessResult): number {
  if (result.exitCode !== null) return result.exitCode;
  return 128 + (result.signal === null ? 0 : (constants.signals[result.signal] ?? 0));
}

/**
 * Runs `command` and keeps the tail of its output (stdout and stderr
 * interleaved) instead of streaming it: what a command health check needs.
 */
export async function runCapture(
  options: Omit<RunProcessOptions, 'onLine'>,
  keepLines = 20,
): Promise<{ exitCode: number; output: string }> {
  const lines: string[] = [];
  const result = await runProcess({
    ...options,
    onLine: (line) => {
      lines.push(line);
      if (lines.length > keepLines) lines.shift();
    },
  });
  return { exitCode: shellStatus(result), output: lines.join('\n') };
}
