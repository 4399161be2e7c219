/**
 * Real SSH "hosts" for tests and benchmarks: one OpenSSH server per host on
 * 127.0.0.1, each with its own free port, host key, Unix user, home and deploy
 * root, all trusting one client key. Needs root and /usr/sbin/sshd.
 *
 * User names are random per harness (`mh<rand4>n<i>`) so test files running
 * in parallel never share one; `stop()` kills everything and deletes the users
 * (call it from afterAll; a watchdog process cleans up if the test process dies first).
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { chmod, copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { PlannedHost } from '../model/plan.js';
import type { TargetContext } from '../model/provider.js';

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

export interface SshdHosts {
  dir: string;
  hosts: SshdHost[];
  /** Private key every host accepts (ed25519, no passphrase). */
  identityFile: string;
  /** `[127.0.0.1]:PORT key` for every host, as of start (rotateHostKey does not update it). */
  knownHostsFile: string;
  /** The host called `name`; throws for an unknown name. */
  host(name: string): SshdHost;
  /** Connections the host has accepted so far (its log's `Accepted publickey` lines). */
  acceptedConnections(name: string): number;
  /** Kills the host's sshd and every connection it serves (a dead host). */
  kill(name: string): void;
  /** Starts the host's sshd again on the same port. */
  restart(name: string): Promise<void>;
  /** Gives the host a new host key and restarts it: clients with the old known_hosts must refuse. */
  rotateHostKey(name: string): Promise<void>;
  /** Kills every sshd and process of the users, deletes the users and the directory. */
  stop(): Promise<void>;
}

interface HostState extends SshdHost {
  child: ChildProcess | null;
  configFile: string;
}

export interface SshTargetOptions {
  /** Deploy root; default: the host's absolute `root`. */
  root?: string;
  service?: string;
  environment?: string;
  /** Reach the host through this other host of the harness. */
  jump?: string;
  projectDir?: string;
  connectTimeoutMs?: number;
}

/** A PlannedHost for `name`, with the harness's key and known_hosts. */
export function sshPlannedHost(hosts: SshdHosts, name: string, options: SshTargetOptions = {}): PlannedHost {
  const host = hosts.host(name);
  const jump = options.jump === undefined ? null : hosts.host(options.jump);
  return {
    name,
    address: '127.0.0.1',
    root: options.root ?? host.root,
    vars: {},
    ssh: {
      port: host.port,
      user: host.user,
      identityFile: hosts.identityFile,
      knownHostsFile: hosts.knownHostsFile,
      jump: jump === null ? null : { address: '127.0.0.1', port: jump.port, user: jump.user },
      connectTimeoutMs: options.connectTimeoutMs ?? 5000,
      keepaliveMs: 15_000,
    },
  };
}

/** A TargetContext for the ssh provider on host `name`. */
export function sshTargetContext(
  hosts: SshdHosts,
  name: string,
  options: SshTargetOptions = {},
): TargetContext {
  return {
    environment: options.environment ?? 'staging',
    service: options.service ?? 'api',
    host: sshPlannedHost(hosts, name, options),
    projectDir: options.projectDir ?? hosts.dir,
  };
}

/** Starts `count` sshd hosts concurrently; resolves once every port answers with an SSH banner. */
export async function startSshdHosts(count: number, options: { baseDir?: string } = {}): Promise<SshdHosts> {
  const base = options.baseDir ?? tmpdir();
  await mkdir(base, { recursive: true });
  const dir = await mkdtemp(join(base, 'marshal-sshd-'));
  // Every host user walks through this directory to its home.
  await chmod(dir, 0o755);
  await mkdir('/run/sshd', { recursive: true, mode: 0o755 });
  const identityFile = join(dir, 'id_ed25519');
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'marshal-tests', '-f', identityFile]);
  const tag = randomBytes(3).readUIntBE(0, 3).toString(36).padStart(4, '0').slice(-4);
  const states: HostState[] = [];
  const reaper = startReaper(dir);
  try {
    const serial = serialQueue();
    const created = await Promise.allSettled(
      Array.from({ length: count }, (_, i) => setUpHost(dir, `host${i + 1}`, `mh${tag}n${i + 1}`, serial)),
    );
    for (const result of created) if (result.status === 'fulfilled') states.push(result.value);
    await writeFile(join(dir, 'users'), states.map((s) => `${s.user}\n`).join(''));
    throwFirstFailure(created);
    throwFirstFailure(await Promise.allSettled(states.map((state) => launch(state))));
  } catch (err) {
    await stopAll(states, dir, reaper);
    throw err;
  }
  const knownHostsFile = join(dir, 'known_hosts');
  const lines = await Promise.all(
    states.map(async (s) => `[127.0.0.1]:${s.port} ${await publicKey(s.hostKeyFile)}\n`),
  );
  await writeFile(knownHostsFile, lines.join(''));

  const byName = (name: string): HostState => {
    const state = states.find((s) => s.name === name);
    if (state === undefined) throw new Error(`no sshd host called ${name}`);
    return state;
  };
  return {
    dir,
    hosts: states,
    identityFile,
    knownHostsFile,
    host: byName,
    acceptedConnections(name) {
      const log = readFileSync(byName(name).logFile, 'utf8');
      return log.split('\n').filter((line) => line.includes('Accepted publickey')).length;
    },
    kill(name) {
      killHost(byName(name));
    },
    async restart(name) {
      const state = byName(name);
      killHost(state);
      await launch(state, false);
    },
    async rotateHostKey(name) {
      const state = byName(name);
      killHost(state);
      await rm(state.hostKeyFile, { force: true });
      await rm(`${state.hostKeyFile}.pub`, { force: true });
      await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', state.hostKeyFile]);
      await launch(state, false);
    },
    async stop() {
      await stopAll(states, dir, reaper);
    },
  };
}

function throwFirstFailure(results: PromiseSettledResult<unknown>[]): void {
  const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failure !== undefined) throw failure.reason;
}

/** Runs tasks one at a time: useradd and userdel lock /etc/passwd. */
function serialQueue(): <T>(task: () => Promise<T>) => Promise<T> {
  let tail: Promise<unknown> = Promise.resolve();
  return (task) => {
    const next = tail.then(task, task);
    tail = next.catch(() => undefined);
    return next;
  };
}

async function setUpHost(
  dir: string,
  name: string,
  user: string,
  serial: ReturnType<typeof serialQueue>,
): Promise<HostState> {
  const hostDir = join(dir, name);
  const home = join(hostDir, 'home');
  const root = join(hostDir, 'root');
  const hostKeyFile = join(hostDir, 'ssh_host_ed25519_key');
  await mkdir(join(home, '.ssh'), { recursive: true });
  await mkdir(root);
  await Promise.all([
    run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', hostKeyFile]),
    copyFile(join(dir, 'id_ed25519.pub'), join(home, '.ssh', 'authorized_keys')),
  ]);
  // '*' instead of useradd's locked '!': sshd refuses locked accounts even for keys when UsePAM is off.
  await serial(() => run('useradd', ['-M', '-d', home, '-s', '/bin/sh', '-p', '*', user]));
  const uid = Number((await run('id', ['-u', user])).stdout.trim());
  await run('chown', ['-R', `${user}:${user}`, home, root]);
  const state: HostState = {
    name,
    port: 0,
    user,
    uid,
    home,
    root,
    sshdPid: 0,
    hostKeyFile,
    logFile: join(hostDir, 'sshd.log'),
    child: null,
    configFile: join(hostDir, 'sshd_config'),
  };
  return state;
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
async function launch(s: HostState, newPort = true): Promise<void> {
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

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address !== null ? resolve(address.port) : reject(),
      );
    });
  });
}

async function publicKey(hostKeyFile: string): Promise<string> {
  const [type, key] = (await readFile(`${hostKeyFile}.pub`, 'utf8')).trim().split(' ');
  return `${type} ${key}`;
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

/** Kills a listener and all its descendants: the per-connection sshd processes and their shells. */
function killHost(s: HostState): void {
  const pid = s.sshdPid;
  if (pid <= 0) return;
  const table = processTable();
  const doomed = [pid];
  for (let i = 0; i < doomed.length; i++) {
    for (const p of table) if (p.ppid === doomed[i]) doomed.push(p.pid);
  }
  for (const p of doomed) {
    try {
      process.kill(p, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
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

async function stopAll(states: readonly HostState[], dir: string, reaper: ChildProcess): Promise<void> {
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
function startReaper(dir: string): ChildProcess {
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
