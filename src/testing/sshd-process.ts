/**
 * The sshd processes behind startSshdHosts: each host's sshd_config, launching
 * sshd in the foreground on a free port until it answers with a banner, killing
 * a host with every connection it serves, and stopping everything, including
 * the detached reaper that cleans up when the test process dies without stop().
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './provider-testkit.js';

const run = promisify(execFile);
const SSHD = '/usr/sbin/sshd';

/** One sshd "host". */
export interface SshdHost {
  /** `host1`, `host2`… */
  name: string;
  port: number;
  user: string;
  uid: number;
  /** Home of the user (the cwd of remote commands). */
  home: string;
  /** An absolute deploy root the user owns. */
  root: string;
  sshdPid: number;
  hostKeyFile: string;
  /** sshd's log (`LogLevel VERBOSE`): one `Accepted publickey` line per connection. */
  logFile: string;
}

/** A host with the process and config file behind it. */
export interface HostState extends SshdHost {
  child: ChildProcess | null;
  configFile: string;
}

function pidFile(s: HostState): string {
  return join(s.configFile, '..', 'sshd.pid');
}

function sshdConfig(s: HostState): string {
  return [
    `Port ${s.port}`,
    'ListenAddress 127.0.0.1',
    `HostKey ${s.hostKeyFile}`,
    'PidFile none',
    'AuthorizedKeysFile .ssh/authorized_keys',
    `AllowUsers ${s.user}`,
    'PubkeyAuthentication yes',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'PermitRootLogin no',
    'UsePAM no',
    'StrictModes no',
    'PrintMotd no',
    'PrintLastLog no',
    'AllowTcpForwarding yes',
    'LogLevel VERBOSE',
    'MaxStartups 100',
    'MaxSessions 100',
    'Subsystem sftp internal-sftp',
    '',
  ].join('\n');
}

/**
 * Starts the host's sshd in the foreground (`-D`, so its pid is ours) and waits
 * for its banner. With `newPort`, a free port is chosen; another process may
 * take it before sshd binds, so a failed bind is retried on a fresh port.
 */
export async function launch(s: HostState, newPort = true): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    if (newPort) s.port = await freePort();
    await writeFile(s.configFile, sshdConfig(s));
    const child = spawn(SSHD, ['-D', '-f', s.configFile, '-E', s.logFile], {
      detached: true,
      stdio: 'ignore',
    });
    child.unref();
    s.child = child;
    s.sshdPid = child.pid ?? 0;
    await writeFile(pidFile(s), `${s.sshdPid}\n`);
    const exited = new Promise<'exited'>((resolve) => child.once('exit', () => resolve('exited')));
    child.once('error', () => undefined);
    const outcome = await Promise.race([waitForBanner(s.port, 10_000), exited]);
    if (outcome === 'ready') return;
    if (outcome === 'exited' && newPort && attempt < 5) continue;
    const log = await readFile(s.logFile, 'utf8').catch(() => '');
    killHost(s);
    throw new Error(
      `sshd for ${s.name} on port ${s.port} did not start: ${log.trim().split('\n').at(-1) ?? ''}`,
    );
  }
}

async function waitForBanner(port: number, timeoutMs: number): Promise<'ready' | 'timeout'> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await answersSsh(port)) return 'ready';
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return 'timeout';
}

function answersSsh(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    let text = '';
    const done = (ok: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), 1000);
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString('latin1');
      if (text.includes('SSH-')) done(true);
    });
    socket.once('error', () => done(false));
    socket.once('close', () => done(text.includes('SSH-')));
  });
}

/** Pids and parents of every process, plus the uid owning each. */
function processTable(): { pid: number; ppid: number; uid: number }[] {
  const table: { pid: number; ppid: number; uid: number }[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const status = readFileSync(`/proc/${entry}/status`, 'utf8');
      const ppid = Number(/^PPid:\s+(\d+)/m.exec(status)?.[1]);
      const uid = Number(/^Uid:\s+(\d+)/m.exec(status)?.[1]);
      table.push({ pid: Number(entry), ppid, uid });
    } catch {
      // Gone meanwhile.
    }
  }
  return table;
}

/** Sends `signal` to a listener and all its descendants: the per-connection sshd processes and their shells. */
export function signalHost(s: HostState, signal: NodeJS.Signals): void {
  const pid = s.sshdPid;
  if (pid <= 0) return;
  const table = processTable();
  const tree = [pid];
  for (let i = 0; i < tree.length; i++) {
    for (const p of table) if (p.ppid === tree[i]) tree.push(p.pid);
  }
  for (const p of tree) {
    try {
      process.kill(p, signal);
    } catch {
      // Already gone.
    }
  }
}

/** Kills a listener and all its descendants: the per-connection sshd processes and their shells. */
export function killHost(s: HostState): void {
  if (s.sshdPid <= 0) return;
  // A frozen host is killed as it is: SIGKILL needs no SIGCONT.
  signalHost(s, 'SIGKILL');
  // The watchdog must never kill a pid the system has since given to someone else.
  rmSync(pidFile(s), { force: true });
  s.sshdPid = 0;
  s.child = null;
}

/** Kills every process a host user owns (services a test started), by pid. */
function killUserProcesses(states: readonly HostState[]): void {
  const uids = new Set(states.map((s) => s.uid));
  for (const p of processTable()) {
    if (!uids.has(p.uid)) continue;
    try {
      process.kill(p.pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
}

export async function stopAll(
  states: readonly HostState[],
  dir: string,
  reaper: ChildProcess,
): Promise<void> {
  try {
    reaper.kill('SIGKILL');
  } catch {
    // Already gone.
  }
  for (const s of states) killHost(s);
  killUserProcesses(states);
  for (const s of states) {
    // -f: zombies left behind (PID 1 may not reap) still count as the user's processes.
    await run('userdel', ['-f', s.user]).catch(() => undefined);
  }
  await rm(dir, { recursive: true, force: true });
}

/**
 * A detached shell that cleans up if this process dies without calling stop()
 * (a crashed or killed test worker): it polls for our pid, then kills the
 * recorded sshd pids and the users' processes, deletes the users and the directory.
 */
export function startReaper(dir: string): ChildProcess {
  const script = [
    'while kill -0 "$1" 2>/dev/null; do sleep 1; done',
    'for f in "$2"/*/sshd.pid; do [ -f "$f" ] && kill -KILL "$(cat "$f")" 2>/dev/null; done',
    'for u in $(cat "$2/users" 2>/dev/null); do pkill -KILL -u "$u"; userdel -f "$u"; done',
    'rm -rf "$2"',
  ].join('\n');
  const child = spawn('/bin/sh', ['-c', script, 'marshal-sshd-reaper', String(process.pid), dir], {
    detached: true,
    stdio: 'ignore',
  });
  child.unref();
  return child;
}
