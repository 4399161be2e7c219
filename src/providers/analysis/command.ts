/**
 * Measuring with a shell command: `result` is its exit status, and the tail
 * of its output goes into the measurement's message, so a person reading the
 * run sees why a check said no.
 */
import { formatDuration } from '../../model/duration.js';
import { abortError } from '../abort.js';
import { runCapture } from '../exec.js';
import type { Reader } from './reading.js';

/**
 * Runs an analysis command: resolves with its exit status and the tail of its
 * output; rejects with the abort reason when `signal` aborts (the command is stopped then).
 */
export type AnalysisCommandRunner = (
  command: string,
  signal: AbortSignal,
) => Promise<{ exitCode: number; output: string }>;

/** The default runner: `/bin/sh -c` on this machine, in the current directory and environment. */
export const runLocalCommand: AnalysisCommandRunner = (command, signal) =>
  runCapture({ command, cwd: process.cwd(), env: process.env, signal });

/**
 * How long one command may run: the interval, but at least 10 s — a command
 * (a smoke test, a curl) has its own start-up cost, unlike a query.
 */
export function commandTimeout(intervalMs: number): number {
  return Math.max(intervalMs, 10_000);
}

/** A {@link Reader} that runs `command` once per measurement. */
export function commandReader(command: string, run: AnalysisCommandRunner, timeoutMs: number): Reader {
  return async (signal) => {
    const timeout = AbortSignal.timeout(timeoutMs);
    try {
      const { exitCode, output } = await run(command, AbortSignal.any([signal, timeout]));
      const tail = outputTail(output);
      const message = tail === '' ? `exited ${exitCode}` : `exited ${exitCode}: ${tail}`;
      return { kind: 'value', value: exitCode, message };
    } catch (err) {
      if (signal.aborted) throw abortError(signal);
      if (timeout.aborted) return { kind: 'error', message: `timed out after ${formatDuration(timeoutMs)}` };
      return { kind: 'error', message: err instanceof Error ? err.message : String(err) };
    }
  };
}

/** The last three non-empty lines of `output`, on one line, at most 300 characters. */
export function outputTail(output: string): string {
  const lines = output
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '');
  const tail = lines.slice(-3).join(' / ');
  return tail.length <= 300 ? tail : `…${tail.slice(-299)}`;
}
