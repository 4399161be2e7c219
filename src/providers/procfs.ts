/**
 * What Linux's /proc tells about processes Marshal did not record: the
 * processes that carry a service's marker in their environment (so a process
 * started by a Marshal killed before it wrote the pid file is found again),
 * and who listens on a port. Read-only; every read tolerates a process that
 * exits meanwhile or belongs to another user.
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { isAlive } from './process.js';

/**
 * The variable that names the instance a service process belongs to: the
 * path of its pid file without `.pid` (`/srv/app/api/run/service`). Every
 * process Marshal starts for a service carries it, and so do their children.
 */
export const INSTANCE_VARIABLE = 'MARSHAL_INSTANCE';

/**
 * The shell that runs a service's command (`$1`) as its child and, when it ends, records
 * `<own pid> <status>` in the file `$2`: the status of a process whose parent (the CLI, or the
 * SSH session that started it) may be long gone. Positional arguments, so the service's
 * environment gets nothing more than the instance marker.
 */
export const SERVICE_WRAPPER = '/bin/sh -c "$1"; s=$?; echo "$$ $s" >"$2.tmp" && mv -f "$2.tmp" "$2"';

export interface MarkedProcess {
  pid: number;
  /** Its process group: the instance Marshal started leads one. */
  pgid: number;
  /** The version it was started with (its MARSHAL_VERSION), when readable. */
  version: string | null;
}

export interface PortHolder {
  /** null when the socket's owner is not visible (another user's process). */
  pid: number | null;
  /** Its command line, shortened; null when unknown. */
  command: string | null;
}

function numericEntries(dir: string): number[] {
  try {
    return readdirSync(dir)
      .filter((e) => e.charCodeAt(0) >= 48 && e.charCodeAt(0) <= 57)
      .map(Number);
  } catch {
    return [];
  }
}

function readOrNull(path: string): Buffer | null {
  try {
    return readFileSync(path);
  } catch {
    return null;
  }
}

/** The value of `name` in a NUL-separated environment block, or null. */
function variable(environ: Buffer, name: string): string | null {
  const needle = `${name}=`;
  let at = environ.indexOf(needle);
  while (at > 0 && environ[at - 1] !== 0) at = environ.indexOf(needle, at + 1);
  if (at < 0) return null;
  const end = environ.indexOf(0, at);
  return environ.toString('utf8', at + needle.length, end < 0 ? environ.length : end);
}

/** The value of variable `name` in the environment `pid` was started with; null when unset or unreadable. */
export function environVariable(pid: number, name: string): string | null {
  const environ = readOrNull(`/proc/${pid}/environ`);
  return environ === null ? null : variable(environ, name);
}

/** The process group of `pid`, or null when it is gone or a zombie. */
export function processGroup(pid: number): number | null {
  const stat = readOrNull(`/proc/${pid}/stat`)?.toString('utf8');
  if (stat === undefined) return null;
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  if (fields[0] === 'Z' || fields[2] === undefined) return null;
  return Number(fields[2]);
}

/**
 * Live processes whose environment names `instance` (see {@link INSTANCE_VARIABLE}), other
 * than this one and its process group (a Marshal run from inside a service inherits the
 * marker: it must not find and stop itself). Empty where /proc is not Linux's.
 */
export function markedProcesses(instance: string): MarkedProcess[] {
  if (process.platform !== 'linux') return [];
  const needle = Buffer.from(`${INSTANCE_VARIABLE}=${instance}\u0000`);
  const ownGroup = processGroup(process.pid);
  const found: MarkedProcess[] = [];
  for (const pid of numericEntries('/proc')) {
    if (pid === process.pid) continue;
    const environ = readOrNull(`/proc/${pid}/environ`);
    if (environ === null) continue;
    const at = environ.indexOf(needle);
    if (at < 0 || (at > 0 && environ[at - 1] !== 0)) continue;
    const pgid = processGroup(pid);
    if (pgid === null || pgid === ownGroup || !isAlive(pid)) continue;
    found.push({ pid, pgid, version: variable(environ, 'MARSHAL_VERSION') || null });
  }
  return found;
}

/** The process groups among `processes`, each once, with the version of its first member. */
export function groupsOf(processes: readonly MarkedProcess[]): MarkedProcess[] {
  const groups = new Map<number, MarkedProcess>();
  for (const p of processes) {
    const known = groups.get(p.pgid);
    // The leader speaks for its group.
    if (known === undefined || p.pid === p.pgid) groups.set(p.pgid, { ...p, pid: p.pgid });
  }
  return [...groups.values()];
}

/** Socket inodes listening on TCP `port` (any address, IPv4 or IPv6). */
function listeningInodes(port: number): Set<string> {
  const inodes = new Set<string>();
  const suffix = `:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    const text = readOrNull(table)?.toString('utf8') ?? '';
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      // local_address is column 1, st column 3 (0A: LISTEN), inode column 9.
      if (cols[3] === '0A' && cols[1]?.endsWith(suffix) && cols[9] !== undefined) inodes.add(cols[9]);
    }
  }
  return inodes;
}

/** The first process holding one of `inodes` open, by a walk of every process's fds. */
function socketOwner(inodes: Set<string>): number | null {
  for (const pid of numericEntries('/proc')) {
    for (const fd of numericEntries(`/proc/${pid}/fd`)) {
      let link: string;
      try {
        link = readlinkSync(`/proc/${pid}/fd/${fd}`);
      } catch {
        continue;
      }
      if (link.startsWith('socket:[') && inodes.has(link.slice(8, -1))) return pid;
    }
  }
  return null;
}

/** The command line of `pid`, shortened to `max` characters; null when unreadable. */
export function commandLine(pid: number, max = 80): string | null {
  const raw = readOrNull(`/proc/${pid}/cmdline`);
  if (raw === null || raw.length === 0) return null;
  return shortCommandLine(raw.toString('utf8').replace(/\0+$/, '').replaceAll('\0', ' '), max);
}

/**
 * A command line as messages name a process: at most `max` characters, the last an ellipsis
 * when it was cut. Shared with the ssh provider, which reads the line on the host.
 */
export function shortCommandLine(text: string, max = 80): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** The working directory of `pid`, or null when unreadable. */
export function workingDirectory(pid: number): string | null {
  try {
    return readlinkSync(`/proc/${pid}/cwd`);
  } catch {
    return null;
  }
}

/** Who listens on TCP `port` on this machine, or null when nobody does (or /proc is not Linux's). */
export function portHolder(port: number): PortHolder | null {
  if (process.platform !== 'linux') return null;
  const inodes = listeningInodes(port);
  if (inodes.size === 0) return null;
  const pid = socketOwner(inodes);
  return { pid, command: pid === null ? null : commandLine(pid) };
}

/** `pid 4242 "python3 -m http.server"`, or `a process of another user` when it is not visible. */
export function describeHolder(holder: PortHolder): string {
  if (holder.pid === null) return 'a process this user cannot see (another user’s)';
  return holder.command === null ? `pid ${holder.pid}` : `pid ${holder.pid} "${holder.command}"`;
}
