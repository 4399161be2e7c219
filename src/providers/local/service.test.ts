import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
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
  await ledger.killAll();
  await removeDir(work);
});

function spec(version: string, overrides: Partial<ProcessSpec> = {}): ProcessSpec {
  return {
    command: `'${process.execPath}' server.mjs`,
    port,
    env: { EXTRA: 'x' },
    stopTimeoutMs: 3000,
    version,
    ...overrides,
  };
}

async function apply(action: Action, io = recordingIO()) {
  await provider.apply(action, target, io);
  return io;
}

/** Switches to and starts `version`, then waits until it answers its health check. */
async function deploy(version: string, overrides: Partial<ProcessSpec> = {}) {
  await apply({ kind: 'switch', version, keep: 5 });
  const io = await apply({ kind: 'start', process: spec(version, overrides) });
  ledger.add((await readLocalTarget(root, 'api')).pid);
  return io;
}

function healthy(version: string): Action {
  const url = `http://127.0.0.1:${port}/health`;
  return {
    kind: 'health',
    checks: [HealthCheck.parse({ http: { url, body: `ok ${version}` }, interval: 50 })],
    env: {},
  };
}

async function answer(): Promise<string> {
  return (await (await fetch(`http://127.0.0.1:${port}/`)).text()).trim();
}

describe('start', () => {
  it('starts the process detached, records it, and is done afterwards', async () => {
    const start: Action = { kind: 'start', process: spec('v1') };
    expect(await provider.isDone(start, target, recordingIO())).toBe(false);
    const io = await deploy('v1');
    await apply(healthy('v1'));
    expect(await answer()).toBe('v1');

    const status = await readLocalTarget(root, 'api');
    expect(status).toMatchObject({ current: 'v1', alive: true, version: 'v1' });
    const pid = status.pid as number;
    expect(io.text('info')).toContain(`started v1 as pid ${pid}; output → ${layout(root, 'api').logFile}`);
    expect(await provider.isDone(start, target, recordingIO())).toBe(true);
    expect(await provider.isDone({ kind: 'start', process: spec('v2') }, target, recordingIO())).toBe(false);

    // It leads its own session and process group: the CLI exiting (or being killed) does not take it down.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const [, , pgrp, session] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    expect([Number(pgrp), Number(session)]).toEqual([pid, pid]);

    const log = await readFile(layout(root, 'api').logFile, 'utf8');
    expect(log).toContain('marshal: starting v1');
    expect(log).toContain(`listening on ${port} as v1`);
  });

  it('restarting with a new version replaces the process', async () => {
    await deploy('v1');
    await apply(healthy('v1'));
    const old = (await readLocalTarget(root, 'api')).pid as number;

    const io = await deploy('v2');
    await apply(healthy('v2'));
    const status = await readLocalTarget(root, 'api');
    expect(status).toMatchObject({ current: 'v2', alive: true, version: 'v2' });
    expect(status.pid).not.toBe(old);
    expect(isAlive(old)).toBe(false);
    expect(await answer()).toBe('v2');
    expect(io.text('info')[0]).toBe(`stopping pid ${old} (v1)`);
    expect(await readFile(layout(root, 'api').logFile, 'utf8')).toContain('SIGTERM: shutting down');
  });

  it('kills a process that ignores SIGTERM after stopTimeout', async () => {
    await deploy('v1', { command: "trap '' TERM; touch trapped; sleep 60" });
    const old = (await readLocalTarget(root, 'api')).pid as number;
    // Stopped before its shell ran `trap`, it would simply end on SIGTERM.
    await waitUntil(() => existsSync(join(root, 'api', 'current', 'trapped')), 5000);
    // The grace period is the one of the start being applied: the only one known for sure.
    const io = await deploy('v2', { stopTimeoutMs: 200 });
    expect(isAlive(old)).toBe(false);
    expect(io.text('info')).toContain(`pid ${old} did not stop within 200ms: killed`);
  });

  it('exports PORT, the process env and MARSHAL_* to the process', async () => {
    await apply({ kind: 'switch', version: 'v1', keep: 5 });
    const command =
      'echo "$PORT $EXTRA $MARSHAL_SERVICE $MARSHAL_VERSION $(pwd -P)" > env.txt; exec sleep 60';
    await apply({ kind: 'start', process: spec('v1', { command }) });
    ledger.add((await readLocalTarget(root, 'api')).pid);
    const file = join(root, 'api', 'releases', 'v1', 'env.txt');
    await waitUntil(() => readFileOrEmpty(file) !== '', 5000);
    const real = realpathSync(join(root, 'api', 'releases', 'v1'));
    expect(readFileOrEmpty(file).trim()).toBe(`${port} x api v1 ${real}`);
  });

  it('fails for good without a current release', async () => {
    await expect(apply({ kind: 'start', process: spec('v1') })).rejects.toMatchObject({
      code: 'PROVIDER_ERROR',
      retryable: false,
    });
  });

  it('does not trust a pid file whose pid now belongs to another process', async () => {
    const l = layout(root, 'api');
    await mkdir(l.runDir, { recursive: true });
    await writeFile(l.pidFile, `${process.pid}\n`);
    await writeFile(l.versionFile, 'v1\n');
    await writeFile(l.startTimeFile, '1\n');
    expect(await readLocalTarget(root, 'api')).toMatchObject({ pid: process.pid, alive: false });
  });
});

describe('restore', () => {
  it('to null: stops the process and removes current', async () => {
    await deploy('v1');
    const pid = (await readLocalTarget(root, 'api')).pid as number;
    const restore: Action = { kind: 'restore', version: null, keep: 5, process: spec('v1') };
    expect(await provider.isDone(restore, target, recordingIO())).toBe(false);
    await apply(restore);
    expect(isAlive(pid)).toBe(false);
    expect(await readLocalTarget(root, 'api')).toEqual({
      current: null,
      pid: null,
      alive: false,
      version: null,
    });
    expect(await provider.isDone(restore, target, recordingIO())).toBe(true);
    // Only the link went: the releases stay for a later restore.
    expect(isAlive(pid)).toBe(false);
    expect(readFileOrEmpty(join(root, 'api', 'releases', 'v1', 'server.mjs'))).not.toBe('');
  });

  it('to a version: switches back and restarts it, then is done', async () => {
    await deploy('v1');
    await deploy('v2');
    const restore: Action = { kind: 'restore', version: 'v1', keep: 5, process: spec('v1') };
    expect(await provider.isDone(restore, target, recordingIO())).toBe(false);
    await apply(restore);
    ledger.add((await readLocalTarget(root, 'api')).pid);
    await apply(healthy('v1'));
    expect(await readLocalTarget(root, 'api')).toMatchObject({ current: 'v1', alive: true, version: 'v1' });
    expect(await provider.isDone(restore, target, recordingIO())).toBe(true);
    // Applying again changes nothing: the process is kept.
    const pid = (await readLocalTarget(root, 'api')).pid;
    const io = await apply(restore);
    expect(io.text('info')).toEqual(['current → v1 (already)', `v1 is already running (pid ${pid})`]);
    expect((await readLocalTarget(root, 'api')).pid).toBe(pid);
  });

  it('without a process spec: only switches back', async () => {
    await apply({ kind: 'switch', version: 'v2', keep: 5 });
    const restore: Action = { kind: 'restore', version: 'v1', keep: 5, process: null };
    await apply(restore);
    expect((await readLocalTarget(root, 'api')).current).toBe('v1');
    expect(await provider.isDone(restore, target, recordingIO())).toBe(true);
  });

  it('fails for good when the release to restore is gone', async () => {
    await expect(apply({ kind: 'restore', version: 'v0', keep: 5, process: null })).rejects.toMatchObject({
      code: 'PROVIDER_ERROR',
      retryable: false,
    });
  });
});

function readFileOrEmpty(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}
