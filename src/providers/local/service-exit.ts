/**
 * How a local service's process ended, in words a person can act on: its
 * exit status (from the wrapper's exit file), the port conflict its output
 * reports, and its last lines of output.
 */
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import type { MarshalError } from '../../model/errors.js';
import type { StepIO } from '../../model/provider.js';
import { processExitedError } from '../process-exit.js';
import { portHolder } from '../procfs.js';
import { readTextOrNull } from './fsops.js';
import type { LocalLayout } from './layout.js';

/** Bytes read from the end of the service log: enough for the last lines of one start. */
const TAIL_BYTES = 16 * 1024;

/** The exit status the wrapper recorded for `pid`, or null when it did not (killed, or another pid). */
export async function recordedExit(l: LocalLayout, pid: number | null): Promise<number | null> {
  const text = await readTextOrNull(l.exitFile);
  const match = text === null ? null : /^(\d+) (\d+)$/.exec(text);
  if (match === null || pid === null || Number(match[1]) !== pid) return null;
  return Number(match[2]);
}

/** The end of the service log since the last start's header line. */
export function logTail(path: string): string {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return '';
  }
  try {
    const size = statSync(path).size;
    const length = Math.min(size, TAIL_BYTES);
    const buffer = Buffer.alloc(length);
    readSync(fd, buffer, 0, length, size - length);
    const text = buffer.toString('utf8');
    const header = text.lastIndexOf('marshal: starting ');
    return header < 0 ? text : text.slice(text.indexOf('\n', header) + 1);
  } finally {
    closeSync(fd);
  }
}

/** PROCESS_EXITED for the process `pid` of `l`, its last output logged to `io` (stderr). */
export async function exitedError(
  l: LocalLayout,
  pid: number | null,
  port: number | null,
  io: StepIO,
): Promise<MarshalError> {
  const status = await recordedExit(l, pid);
  return processExitedError({
    pid,
    status,
    output: logTail(l.logFile),
    logFile: l.logFile,
    port,
    holderOf: (port) => portHolder(port),
    io,
  });
}
