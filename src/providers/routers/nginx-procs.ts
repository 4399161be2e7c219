/**
 * nginx's processes as /proc shows them. nginx has no API that tells which
 * configuration it serves, but a reload is visible: the master starts new
 * workers and the old ones retitle themselves `worker process is shutting down`
 * while they finish their requests. Linux only.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { providerError } from './common.js';

/** The command line of `pid` (NULs as spaces), or null when it is gone. */
export function commandLine(pid: number): string | null {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0+/g, ' ').trim();
  } catch {
    return null;
  }
}

/** The master's pid from `pidFile`, checked to be a running nginx (a stale pid file is an error). */
export function masterPid(pidFile: string): number {
  let text: string;
  try {
    text = readFileSync(pidFile, 'utf8');
  } catch (err) {
    throw providerError(
      `nginx: cannot read pid file ${pidFile} (is nginx running?): ${(err as Error).message}`,
    );
  }
  const pid = Number(text.trim());
  if (!Number.isInteger(pid) || pid <= 0) throw providerError(`nginx: pid file ${pidFile} holds no pid`);
  const cmd = commandLine(pid);
  if (cmd === null) throw providerError(`nginx: pid ${pid} from ${pidFile} is not running`);
  if (!cmd.includes('nginx')) throw providerError(`nginx: pid ${pid} from ${pidFile} is not nginx (${cmd})`);
  return pid;
}

/** Child pids of `pid`: the kernel's children list when it has one, else a scan of /proc. */
function childrenOf(pid: number): number[] {
  try {
    const text = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim();
    return text === '' ? [] : text.split(/\s+/).map(Number);
  } catch {
    // Kernels without CONFIG_PROC_CHILDREN: scan.
  }
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) out.push(Number(entry));
    } catch {
      // Gone meanwhile.
    }
  }
  return out;
}

/** The master's children that serve with the current configuration (not those shutting down). */
export function activeWorkers(master: number): Set<number> {
  const active = new Set<number>();
  for (const pid of childrenOf(master)) {
    const cmd = commandLine(pid);
    if (cmd !== null && !cmd.includes('shutting down')) active.add(pid);
  }
  return active;
}

/**
 * True once the master has reloaded since `before` was taken: some active worker is new,
 * and none of the old ones is still active (they may still drain requests, retitled).
 */
export function reloadedSince(before: ReadonlySet<number>, now: ReadonlySet<number>): boolean {
  let fresh = false;
  for (const pid of now) {
    if (before.has(pid)) return false;
    fresh = true;
  }
  return fresh;
}
