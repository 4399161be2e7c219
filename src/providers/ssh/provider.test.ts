import { copyFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Action, ProcessSpec, TargetContext } from '../../model/provider.js';
import { HealthCheck } from '../../model/schema.js';
import { freePort, recordingIO, removeDir, tempDir } from '../../testing/provider-testkit.js';
import { type SshdHosts, startSshdHosts } from '../../testing/sshd-hosts.js';
import { sshTargetContext } from '../../testing/sshd-targets.js';
import { SshProvider } from './provider.js';

const SERVER = fileURLToPath(new URL('../fixtures/server.mjs', import.meta.url));
const NAMES = ['host1', 'host2', 'host3'] as const;

let sshd: SshdHosts;
let work: string;
let artifact: string;
const provider = new SshProvider();
/** One target per host, each with its own kind of deploy root, and the port its service listens on. */
const targets: { target: TargetContext; port: number }[] = [];

beforeAll(async () => {
  [sshd, work] = await Promise.all([startSshdHosts(NAMES.length), tempDir()]);
  artifact = join(work, 'artifact');
  await mkdir(artifact);
  await copyFile(SERVER, join(artifact, 'server.mjs'));
  const roots = [undefined, 'deploy', '~/apps with space'];
  for (const [i, name] of NAMES.entries()) {
    targets.push({
      target: sshTargetContext(sshd, name, { root: roots[i], projectDir: work }),
      port: await freePort(),
    });
  }
});
afterAll(async () => {
  await provider.close();
  await sshd?.stop();
  await removeDir(work);
});

function spec(version: string, port: number): ProcessSpec {
  return {
    command: `'${process.execPath}' server.mjs`,
    port,
    env: { EXTRA: 'x' },
    stopTimeoutMs: 3000,
    version,
  };
}

async function apply(action: Action, target: TargetContext) {
  const io = recordingIO();
  await provider.apply(action, target, io);
  return io;
}

function healthy(version: string, port: number): Action {
  return {
    kind: 'health',
    checks: [
      HealthCheck.parse({
        http: { url: `http://127.0.0.1:${port}/health`, body: `ok ${version}` },
        interval: 50,
      }),
      // Runs on the host, in the current release, as the host's user.
      HealthCheck.parse({
        command: `test -f server.mjs && test "$MARSHAL_VERSION" = ${version}`,
        interval: 50,
      }),
    ],
    env: {},
  };
}

async function answer(port: number): Promise<string> {
  return (await (await fetch(`http://127.0.0.1:${port}/`)).text()).trim();
}

/** Upload, switch, start and health-check `version` on every host at once. */
async function deployAll(version: string, keep = 5): Promise<void> {
  await Promise.all(
    targets.map(async ({ target, port }) => {
      const upload: Action = { kind: 'upload', version, source: artifact };
      const switched: Action = { kind: 'switch', version, keep };
      const start: Action = { kind: 'start', process: spec(version, port) };
      for (const action of [upload, switched, start]) {
        if (!(await provider.isDone(action, target, recordingIO()))) await apply(action, target);
        expect(await provider.isDone(action, target, recordingIO())).toBe(true);
      }
      await apply(healthy(version, port), target);
    }),
  );
}

async function status(target: TargetContext, command: string): Promise<string[]> {
  const io = await apply({ kind: 'exec', command, version: 'v1', env: {}, inRelease: false }, target);
  return io.text('stdout');
}

describe('ssh provider on real sshd hosts', () => {
  it('uploads, switches and starts a service on three hosts', async () => {
    await deployAll('v1');
    for (const { target, port } of targets) {
      expect(await answer(port)).toBe('v1');
      const [link] = await status(target, 'readlink api/current');
      expect(link).toBe('releases/v1');
    }
    const home = sshd.host('host3').home;
    const listing = await status(
      targets[2]?.target as TargetContext,
      `ls -A "${home}/apps with space/api/releases/v1"`,
    );
    expect(listing).toEqual(['.marshal-release', 'server.mjs']);
  });

  it('an upload already in place is not repeated', async () => {
    const { target } = targets[0] as { target: TargetContext };
    const io = await apply({ kind: 'upload', version: 'v1', source: artifact }, target);
    expect(io.text('info')).toEqual(['release v1 is already uploaded']);
  });

  it('a restart with a new version replaces the process', async () => {
    const { target, port } = targets[1] as { target: TargetContext; port: number };
    const [before] = await status(target, 'cat api/run/service.pid');
    await deployAll('v2');
    expect(await answer(port)).toBe('v2');
    const [after] = await status(target, 'cat api/run/service.pid');
    expect(after).not.toBe(before);
    const probe = `if kill -0 ${before} && ! grep -q '^State:.*Z' /proc/${before}/status; then echo alive; else echo gone; fi`;
    expect(await status(target, `${probe} 2>/dev/null`)).toEqual(['gone']);
    const log = await status(target, 'cat api/logs/service.log');
    expect(log.some((line) => /^--- .* marshal: starting v2: /.test(line))).toBe(true);
    expect(log).toContain('SIGTERM: shutting down');
  });

  it('prunes releases beyond keep, never the new or previous one', async () => {
    const { target } = targets[1] as { target: TargetContext };
    for (const version of ['v3', 'v4', 'v5']) {
      await apply({ kind: 'upload', version, source: artifact }, target);
    }
    const io = await apply({ kind: 'switch', version: 'v5', keep: 3 }, target);
    expect(io.text('info')).toEqual(['current → v5 (was v2)', 'pruned v1, v3 (keeping 3)']);
    expect(await status(target, 'ls api/releases')).toEqual(['v2', 'v4', 'v5']);
  });

  it('restores a previous version (switch back and restart), then to nothing', async () => {
    const { target, port } = targets[1] as { target: TargetContext; port: number };
    const back: Action = { kind: 'restore', version: 'v4', keep: 3, process: spec('v4', port) };
    expect(await provider.isDone(back, target, recordingIO())).toBe(false);
    await apply(back, target);
    await apply(healthy('v4', port), target);
    expect(await answer(port)).toBe('v4');
    expect(await provider.isDone(back, target, recordingIO())).toBe(true);

    const nothing: Action = { kind: 'restore', version: null, keep: 3, process: spec('v4', port) };
    const io = await apply(nothing, target);
    expect(io.text('info')).toEqual([
      expect.stringMatching(/^stopping pid \d+ \(v4\)$/),
      'removed current (was v4)',
    ]);
    expect(await provider.isDone(nothing, target, recordingIO())).toBe(true);
    await expect(fetch(`http://127.0.0.1:${port}/`)).rejects.toThrow();
  });

  it('refuses to start without a current release', async () => {
    const { target, port } = targets[1] as { target: TargetContext; port: number };
    await expect(apply({ kind: 'start', process: spec('v4', port) }, target)).rejects.toMatchObject({
      code: 'PROVIDER_ERROR',
      retryable: false,
      message: 'cannot start api on host2: ~/deploy/api/current does not resolve',
    });
  });

  it('used one connection per host for every step', () => {
    for (const { target } of targets) {
      expect(provider.connectionsOpened(provider.hostKey(target.host))).toBe(1);
      expect(sshd.acceptedConnections(target.host.name)).toBe(1);
    }
    expect(provider.connectionsOpened()).toBe(3);
  });
});
