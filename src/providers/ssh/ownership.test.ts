/**
 * The ssh provider owns every process it starts on a real sshd host, as the local provider
 * does: unrecorded instances are found by their marker, nothing starts beside another
 * listener, and a health check counts only while the process lives.
 */
import { copyFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MarshalError } from '../../model/errors.js';
import type { Action, ProcessSpec, TargetContext } from '../../model/provider.js';
import { HealthCheck } from '../../model/schema.js';
import { freePort, recordingIO, removeDir, tempDir } from '../../testing/provider-testkit.js';
import { type SshdHosts, startSshdHosts } from '../../testing/sshd-hosts.js';
import { sshTargetContext } from '../../testing/sshd-targets.js';
import { SshProvider } from './provider.js';

const SERVER = fileURLToPath(new URL('../fixtures/server.mjs', import.meta.url));

let sshd: SshdHosts;
let work: string;
let artifact: string;
let target: TargetContext;
let port: number;
const provider = new SshProvider();

beforeAll(async () => {
  [sshd, work] = await Promise.all([startSshdHosts(1), tempDir()]);
  artifact = join(work, 'artifact');
  await mkdir(artifact);
  await copyFile(SERVER, join(artifact, 'server.mjs'));
  target = sshTargetContext(sshd, 'host1', { root: 'deploy', projectDir: work });
  port = await freePort();
  for (const version of ['v1', 'v2', 'v3']) await apply({ kind: 'upload', version, source: artifact });
});
afterAll(async () => {
  await provider.close();
  await sshd?.stop();
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

async function apply(action: Action) {
  const io = recordingIO();
  await provider.apply(action, target, io);
  return io;
}

async function failure(action: Action): Promise<{ error: MarshalError; log: string[] }> {
  const io = recordingIO();
  const error = await provider.apply(action, target, io).then(
    () => {
      throw new Error('expected the action to fail');
    },
    (err: MarshalError) => err,
  );
  return { error, log: io.text() };
}

async function sh(command: string): Promise<string[]> {
  const io = await apply({ kind: 'exec', command, version: 'v1', env: {}, inRelease: false });
  return io.text('stdout');
}

function health(version: string, settleMs = 0): Action {
  const url = `http://127.0.0.1:${port}/health`;
  return {
    kind: 'health',
    checks: [HealthCheck.parse({ http: { url, body: `ok ${version}` }, interval: 50 })],
    env: {},
    watch: { settleMs, port },
  };
}

async function deploy(version: string, overrides: Partial<ProcessSpec> = {}) {
  await apply({ kind: 'switch', version, keep: 5 });
  return apply({ kind: 'start', process: spec(version, overrides) });
}

/** Groups of processes carrying the service's marker on the host. */
async function markedGroups(): Promise<string[]> {
  const lines = await sh(
    `for f in $(grep -lsxz "MARSHAL_INSTANCE=$(cd api && pwd -P)/run/service" /proc/[0-9]*/environ); do p=\${f#/proc/}; p=\${p%/environ}; s=$(cat /proc/$p/stat); s=\${s##*') '}; set -- $s; echo $3; done | sort -u`,
  );
  return lines;
}

describe('ssh: processes Marshal owns', () => {
  it('an instance started but never recorded is found and stopped by the next start', async () => {
    await deploy('v1');
    await apply(health('v1'));
    const [lost] = await sh('cat api/run/service.pid');
    await sh('rm -r api/run');
    const io = await deploy('v2');
    await apply(health('v2', 200));
    expect(io.text('info')).toContain(
      `stopping pid ${lost} (v1): started for this service but never recorded (an interrupted run)`,
    );
    const [recorded] = await sh('cat api/run/service.pid');
    expect(await markedGroups()).toEqual([recorded]);
    expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toBe('v2\n');
  });

  it('inspect tells the recorded process, an unrecorded one and the port’s listener apart', async () => {
    const spec = { process: { port } };
    const seen = await provider.inspect(target, spec, recordingIO());
    const [recorded] = await sh('cat api/run/service.pid');
    expect(seen).toMatchObject({
      current: 'v2',
      recorded: { pid: Number(recorded), version: 'v2', alive: true },
      strays: [],
      listener: { version: 'v2', ours: true },
    });
    expect(seen.listener?.command).toContain('server.mjs');
    await sh('rm -r api/run');
    const lost = await provider.inspect(target, spec, recordingIO());
    expect(lost).toMatchObject({
      recorded: null,
      strays: [{ pid: Number(recorded), version: 'v2' }],
      listener: { version: 'v2', ours: false },
    });
  });

  it('a restore to nothing stops an unrecorded instance, and is not done while one runs', async () => {
    const nothing: Action = { kind: 'restore', version: null, keep: 5, process: spec('v2') };
    expect(await provider.isDone(nothing, target, recordingIO())).toBe(false);
    await apply(nothing);
    expect(await markedGroups()).toEqual([]);
    expect(await provider.isDone(nothing, target, recordingIO())).toBe(true);
  });

  it('a start beside a foreign listener fails naming it, and leaves it running', async () => {
    const listener = `'${process.execPath}' -e "require('http').createServer().listen(${port})"`;
    await sh(`setsid -f sh -c "exec ${listener.replaceAll('"', '\\"')}" >/dev/null 2>&1; sleep 0.5`);
    const [holder] = await sh(`pgrep -u "$(id -u)" -f "listen.${port}" | head -n 1`);
    await apply({ kind: 'switch', version: 'v1', keep: 5 });
    const { error } = await failure({ kind: 'start', process: spec('v1') });
    expect(error.code).toBe('PORT_IN_USE');
    expect(error.message).toMatch(
      new RegExp(
        `^cannot start api on host1: port ${port} is held by pid ${holder} ".*listen\\(${port}\\).*", not by a process Marshal started for api$`,
      ),
    );
    expect(await sh(`kill -0 ${holder} && echo alive`)).toEqual(['alive']);
    await sh(`kill ${holder}`);
  });

  it('a process that exits before it is healthy fails the health step with its code and last output', async () => {
    await deploy('v3', { command: 'echo "no database at db:5432" >&2; exit 3' });
    const { error, log } = await failure(health('v3'));
    expect(error.code).toBe('PROCESS_EXITED');
    expect(error.message).toBe('process exited with code 3');
    expect(error.details?.lastLines).toEqual(['no database at db:5432']);
    expect(log).toContain('no database at db:5432');
  });
});
