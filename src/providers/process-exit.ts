/**
 * The error a step fails with when the service process it started (or
 * watches) has ended: how it ended, the port conflict its output reports and
 * who holds that port, and its last lines of output. Shared by the local and
 * ssh providers; each reads the facts its own way.
 */
import { constants } from 'node:os';
import { MarshalError } from '../model/errors.js';
import type { StepIO } from '../model/provider.js';
import { describeHolder, type PortHolder } from './procfs.js';

/** Lines of the service's output kept in the error and the step's log. */
export const TAIL_LINES = 10;

export interface ProcessEnd {
  /** The pid that was watched; null when none was recorded. */
  pid: number | null;
  /** Its exit status as its wrapper recorded it; null when unknown (killed with the wrapper, or never started). */
  status: number | null;
  /** The service's output since it started (the end of it is enough). */
  output: string;
  /** Where the whole output is, for the message. */
  logFile: string;
  /** The port the service was given, to look up when its output says the address is in use. */
  port: number | null;
  holderOf(port: number): PortHolder | null | Promise<PortHolder | null>;
  io: StepIO;
}

function howItEnded(pid: number | null, status: number | null): string {
  if (pid === null) return 'process is not running (no pid was recorded)';
  if (status === null) return `process (pid ${pid}) is no longer running`;
  if (status > 128) {
    const name = Object.entries(constants.signals).find(([, n]) => n === status - 128)?.[0];
    return `process was killed by ${name ?? `signal ${status - 128}`}`;
  }
  return `process exited with code ${status}`;
}

/** The address in use a line of output names (`127.0.0.1:7102`, `:::7102`), if any. */
export function addressInUse(output: string): { address: string; port: number | null } | null {
  const line = output.split('\n').find((l) => /EADDRINUSE|address already in use/i.test(l));
  if (line === undefined) return null;
  const at = /EADDRINUSE\b.*?(\S*?):(\d{1,5})\b/.exec(line) ?? /in use[^\d]*?(\S*?):(\d{1,5})\b/i.exec(line);
  if (at === null) return { address: '', port: null };
  return { address: `${at[1]}:${at[2]}`, port: Number(at[2]) };
}

/** The last non-empty lines of `output`. */
export function lastLines(output: string, n = TAIL_LINES): string[] {
  return output
    .split('\n')
    .map((l) => l.trimEnd())
    .filter((l) => l !== '')
    .slice(-n);
}

/** PROCESS_EXITED, e.g. `process exited with code 1 (EADDRINUSE 127.0.0.1:7102 held by pid 42 "python3 …")`. */
export async function processExitedError(end: ProcessEnd): Promise<MarshalError> {
  let why = '';
  const inUse = addressInUse(end.output);
  if (inUse !== null) {
    const port = inUse.port ?? end.port;
    const holder = port === null ? null : await end.holderOf(port);
    const where = inUse.address === '' ? (port === null ? '' : ` port ${port}`) : ` ${inUse.address}`;
    why = ` (EADDRINUSE${where}${holder === null ? '' : ` held by ${describeHolder(holder)}`})`;
  }
  const lines = lastLines(end.output);
  if (lines.length > 0) {
    end.io.log(`last output of the service (${end.logFile}):`, 'info');
    for (const line of lines) end.io.log(line, 'stderr');
  }
  return new MarshalError('PROCESS_EXITED', `${howItEnded(end.pid, end.status)}${why}`, {
    details: { pid: end.pid, exitStatus: end.status, lastLines: lines, log: end.logFile },
  });
}
