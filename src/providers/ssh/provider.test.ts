/**
 * The ssh provider over several real sshd hosts at once: deploy roots of every kind (absolute,
 * relative to the home, `~/` with a space) and one pooled connection per host for every step.
 * What each host must do for a step is the provider contract's (testing/provider-contract*.ts).
 */
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
  it('deploys to three hosts at once, each with its own kind of deploy root, one version after another', async () => {
    for (const version of ['v1', 'v2']) {
      await deployAll(version);
      for (const { target, port } of targets) {
        expect(await answer(port)).toBe(version);
        const [link] = await status(target, 'readlink api/current');
        expect(link).toBe(`releases/${version}`);
      }
    }
    const home = sshd.host('host3').home;
    const listing = await status(
      targets[2]?.target as TargetContext,
      `ls -A "${home}/apps with space/api/releases/v1"`,
    );
    expect(listing).toEqual(['.marshal-release', 'server.mjs']);
  });

  it('used one connection per host for every step', () => {
    for (const { target } of targets) {
      expect(provider.connectionsOpened(provider.hostKey(target.host))).toBe(1);
      expect(sshd.acceptedConnections(target.host.name)).toBe(1);
    }
    expect(provider.connectionsOpened()).toBe(3);
  });
});
