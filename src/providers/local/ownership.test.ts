/**
 * The local provider owns every process it starts: it finds unrecorded ones again, refuses to
 * start beside another listener, and a health check counts only while its own process lives.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { copyFile, mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { MarshalError } from '../../model/errors.js';
import type { Action, ProcessSpec, TargetContext } from '../../model/provider.js';
import { HealthCheck } from '../../model/schema.js';
import {
  freePort,
  PidLedger,
  recordingIO,
  removeDir,
  targetContext,
  tempDir,
} from '../../testing/provider-testkit.js';
import { isAlive, waitUntil } from '../process.js';
import { groupsOf, markedProcesses, portHolder } from '../procfs.js';
import { layout } from './layout.js';
import { LocalProvider } from './provider.js';
import { readLocalTarget } from './status.js';

const SERVER = fileURLToPath(new URL('../fixtures/server.mjs', import.meta.url));

let work: string;
let root: string;
let port: number;
let target: TargetContext;
const provider = new LocalProvider();
const ledger = new PidLedger();
const foreign: ChildProcess[] = [];

beforeEach(async () => {
  work = await tempDir();
  root = join(work, 'root');
  const artifact = join(work, 'artifact');
  await mkdir(artifact);
  await copyFile(SERVER, join(artifact, 'server.mjs'));
  target = targetContext(root, work);
  port = await freePort();
  for (const version of ['v1', 'v2']) await apply({ kind: 'upload', version, source: artifact });
});
afterEach(async () => {
  for (const child of foreign.splice(0)) child.kill('SIGKILL');
  for (const g of groupsOf(markedProcesses(layout(root, 'api').instance))) ledger.add(g.pgid);
  await ledger.killAll();
  await removeDir(work);
});

function spec(version: string, overrides: Partial<ProcessSpec> = {}): ProcessSpec {
  return {
    command: `'${process.execPath}' server.mjs`,
    port,
    env: {},
    stopTimeoutMs: 3000,
    version,
    ...overrides,
  };
}

async function apply(action: Action, io = recordingIO()) {
  await provider.apply(action, target, io);
  return io;
}

async function failure(action: Action): Promise<{ error: MarshalError; log: string[] }> {
  const io = recordingIO();
  try {
    await provider.apply(action, target, io);
  } catch (err) {
    return { error: err as MarshalError, log: io.text() };
  }
  throw new Error('expected the action to fail');
}

async function start(version: string, overrides: Partial<ProcessSpec> = {}) {
  await apply({ kind: 'switch', version, keep: 5 });
  const io = await apply({ kind: 'start', process: spec(version, overrides) });
  ledger.add((await readLocalTarget(root, 'api')).pid);
  return io;
}

function health(version: string, settleMs = 0, checkPort = port): Action {
  const url = `http://127.0.0.1:${checkPort}/health`;
  return {
    kind: 'health',
    checks: [HealthCheck.parse({ http: { url, body: `ok ${version}` }, interval: 50 })],
    env: {},
    watch: { settleMs, port },
  };
}

/** A server on `listenPort` that Marshal did not start, running from `cwd`. */
async function foreignServer(listenPort: number, cwd = work, version = 'foreign'): Promise<number> {
  const child = spawn(process.execPath, [SERVER], {
    cwd,
    env: { ...process.env, PORT: String(listenPort), MARSHAL_VERSION: version },
    stdio: 'ignore',
  });
  foreign.push(child);
  await waitUntil(() => portHolder(listenPort) !== null, 5000);
  return child.pid as number;
}

async function answer(): Promise<string> {
  return (await (await fetch(`http://127.0.0.1:${port}/`)).text()).trim();
}

describe('processes Marshal started but never recorded', () => {
  it('are found by their marker and stopped before a start: one instance, the recorded one', async () => {
    await start('v1');
    await apply(health('v1'));
    const lost = (await readLocalTarget(root, 'api')).pid as number;
    // As if Marshal had been killed after the spawn, before it wrote the pid file.
    await rm(layout(root, 'api').runDir, { recursive: true });

    const io = await start('v2');
    await apply(health('v2'));
    expect(io.text('info')[0]).toMatch(
      new RegExp(`^stopping pid ${lost} \\(v1\\): started for this service but never recorded`),
    );
    expect(isAlive(lost)).toBe(false);
    const groups = groupsOf(markedProcesses(layout(root, 'api').instance));
    const recorded = await readLocalTarget(root, 'api');
    expect(groups.map((g) => g.pgid)).toEqual([recorded.pid]);
    expect(await answer()).toBe('v2');
  });

  it('are stopped by a restore to nothing, which is not done while one runs', async () => {
    await start('v1');
    const lost = (await readLocalTarget(root, 'api')).pid as number;
    await rm(layout(root, 'api').runDir, { recursive: true });
    await rm(layout(root, 'api').current);
    const restore: Action = { kind: 'restore', version: null, keep: 5, process: spec('v1') };
    expect(await provider.isDone(restore, target, recordingIO())).toBe(false);
    await apply(restore);
    expect(isAlive(lost)).toBe(false);
    expect(await provider.isDone(restore, target, recordingIO())).toBe(true);
  });

  it('a listener running from the service’s releases without a marker (an older Marshal) is stopped', async () => {
    const old = await foreignServer(port, join(root, 'api', 'releases', 'v1'), 'v1');
    const io = await start('v2');
    await apply(health('v2'));
    expect(io.text('info')).toContain(
      `stopping pid ${old} on port ${port}: runs from ${join(root, 'api', 'releases', 'v1')} but was never recorded`,
    );
    expect(await answer()).toBe('v2');
  });
});

describe('the port', () => {
  it('held by a foreign process: the start fails naming the holder, and leaves it alone', async () => {
    const holder = await foreignServer(port);
    await apply({ kind: 'switch', version: 'v1', keep: 5 });
    const { error } = await failure({ kind: 'start', process: spec('v1') });
    expect(error.code).toBe('PORT_IN_USE');
    expect(error.retryable).toBe(false);
    expect(error.message).toBe(
      `cannot start api: port ${port} is held by pid ${holder} "${process.execPath} ${SERVER}", not by a process Marshal started for api`,
    );
    expect(isAlive(holder)).toBe(true);
    expect(await readLocalTarget(root, 'api')).toMatchObject({ pid: null, alive: false });
    expect(groupsOf(markedProcesses(layout(root, 'api').instance))).toEqual([]);
  });
});

describe('health of a watched process', () => {
  it('fails with the exit code and the last output when the process exits before it is healthy', async () => {
    await start('v1', { command: 'echo "cannot read config" >&2; exit 3' });
    const { error, log } = await failure(health('v1'));
    expect(error.code).toBe('PROCESS_EXITED');
    expect(error.message).toBe('process exited with code 3');
    expect(error.details?.lastLines).toEqual(['cannot read config']);
    expect(log).toContain('cannot read config');
  });

  it('does not pass against another listener: the process died of EADDRINUSE, and the error names the holder', async () => {
    // The service listens on a port of its own choosing, which another program holds.
    const taken = await freePort();
    const holder = await foreignServer(taken);
    await start('v1', { port: null, command: `PORT=${taken} '${process.execPath}' server.mjs` });
    const { error } = await failure(health('v1', 0, taken));
    expect(error.code).toBe('PROCESS_EXITED');
    expect(error.message).toBe(
      `process exited with code 1 (EADDRINUSE 127.0.0.1:${taken} held by pid ${holder} "${process.execPath} ${SERVER}")`,
    );
  });

  it('fails when the process dies within the settle window after its checks passed', async () => {
    const command = `'${process.execPath}' server.mjs & sleep 0.6; kill $!; exit 4`;
    await start('v1', { command });
    const { error, log } = await failure(health('v1', 1500));
    expect(error.code).toBe('PROCESS_EXITED');
    expect(error.message).toBe('process exited with code 4');
    expect(log.some((l) => l.startsWith('http://127.0.0.1') && l.includes('healthy'))).toBe(true);
  });

  it('passes and settles while the process lives', async () => {
    await start('v1');
    const io = await apply(health('v1', 200));
    expect(io.text('info').at(-1)).toBe('process still running 200ms after the checks passed');
  });

  it('a start without a health step fails when the process does not live through its settle window', async () => {
    await apply({ kind: 'switch', version: 'v1', keep: 5 });
    const { error } = await failure({
      kind: 'start',
      process: spec('v1', { command: 'sleep 0.1; exit 2', settleMs: 500 }),
    });
    expect(error.message).toBe('process exited with code 2');
  });
});

describe('a forced restart', () => {
  it('is not done while the version runs, and replaces the process', async () => {
    await start('v1');
    const before = (await readLocalTarget(root, 'api')).pid;
    const restart: Action = { kind: 'start', process: spec('v1'), restart: true };
    expect(await provider.isDone({ kind: 'start', process: spec('v1') }, target, recordingIO())).toBe(true);
    expect(await provider.isDone(restart, target, recordingIO())).toBe(false);
    await apply(restart);
    const after = await readLocalTarget(root, 'api');
    ledger.add(after.pid);
    expect(after.pid).not.toBe(before);
    expect(after.alive).toBe(true);
  });
});
