/**
 * Real SSH "hosts" for tests and benchmarks: one OpenSSH server per host on
 * 127.0.0.1, each with its own free port, host key, Unix user, home and deploy
 * root, all trusting one client key. Needs root and /usr/sbin/sshd.
 *
 * User names are random per harness (`mh<rand4>n<i>`) so test files running
 * in parallel never share one; `stop()` kills everything and deletes the users
 * (call it from afterAll; a watchdog process cleans up if the test process dies first).
 *
 * This module sets up the users and directories and hands out the harness; the
 * sshd processes (config, launch, kill, reaper) live in sshd-process.ts, and
 * sshd-targets.ts turns a host into the PlannedHost/TargetContext the ssh provider takes.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { chmod, copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  type HostState,
  killHost,
  launch,
  type SshdHost,
  signalHost,
  startReaper,
  stopAll,
} from './sshd-process.js';

// SshdHost is declared beside HostState, which extends it; callers keep importing it from here.
export type { SshdHost } from './sshd-process.js';

const run = promisify(execFile);

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
  /**
   * Stops (SIGSTOP) the host's sshd, the processes serving its connections and their commands:
   * its TCP port stays open and the kernel still acknowledges packets, but nothing answers — a
   * hung VM. `thaw` (SIGCONT) lets it go on.
   */
  freeze(name: string): void;
  thaw(name: string): void;
  /** Starts the host's sshd again on the same port. */
  restart(name: string): Promise<void>;
  /** Gives the host a new host key and restarts it: clients with the old known_hosts must refuse. */
  rotateHostKey(name: string): Promise<void>;
  /** Kills every sshd and process of the users, deletes the users and the directory. */
  stop(): Promise<void>;
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
    freeze(name) {
      signalHost(byName(name), 'SIGSTOP');
    },
    thaw(name) {
      signalHost(byName(name), 'SIGCONT');
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

/** A host key's public half as known_hosts wants it: type and key, without the comment. */
async function publicKey(hostKeyFile: string): Promise<string> {
  const [type, key] = (await readFile(`${hostKeyFile}.pub`, 'utf8')).trim().split(' ');
  return `${type} ${key}`;
}
