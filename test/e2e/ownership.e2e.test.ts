/**
 * A deploy never reports success while something else serves: a port held by a foreign
 * process fails the deploy naming it, a process that exits fails its step with its code and
 * last output, `status --probe` shows the drift a killed or outdated Marshal left, and
 * `deploy --force` recovers from it. The real CLI, real processes, real ports.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { cpSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { waitUntil } from '../../src/providers/process.js';
import { groupsOf, markedProcesses, portHolder, processGroup } from '../../src/providers/procfs.js';
import { freePort, httpGet, marshal, marshalJson, ROOT, type TempProject, tempProject } from './harness.js';

const SERVER = join(ROOT, 'src/providers/fixtures/server.mjs');

let project: TempProject;
let port: number;
const strangers: ChildProcess[] = [];

afterEach(() => {
  for (const child of strangers.splice(0)) child.kill('SIGKILL');
  project?.cleanup();
});

/** `api` (a release with the fixture server) on one local host; `start` overrides its command. */
async function setup(command = `${process.execPath} server.mjs`): Promise<void> {
  project = tempProject();
  port = await freePort();
  cpSync(SERVER, join(project.dir, 'app/server.mjs'));
  project.write(
    'marshal.yaml',
    `project: own
defaults: { retry: { attempts: 1 } }
services:
  api:
    artifact: app
    start:
      command: ${command}
      port: ${port}
      settle: 300ms
    health:
      http: { url: "http://127.0.0.1:${port}/health" }
      interval: 50ms
      failureThreshold: 40
environments:
  dev:
    groups:
      api: { hosts: [{ name: h1 }] }
`,
  );
}

const pidFile = () => join(project.dir, '.marshal/hosts/dev/h1/api/run/service.pid');

/** A server on the port that Marshal did not start: from `cwd`, answering as `version`. */
async function stranger(cwd: string, version: string): Promise<number> {
  const child = spawn(process.execPath, [SERVER], {
    cwd,
    env: { PATH: process.env.PATH ?? '', PORT: String(port), MARSHAL_VERSION: version },
    stdio: 'ignore',
  });
  strangers.push(child);
  await waitUntil(() => portHolder(port) !== null, 5000);
  return child.pid as number;
}

interface Probed {
  targets: { recorded: string; drift: string[]; inspection: { listener: { pid: number } | null } }[];
  drifted: number;
}

describe('a port held by another program', () => {
  it('fails the deploy (exit 1, rolled back) naming the holder, and leaves nothing of ours running', async () => {
    await setup();
    const holder = await stranger(project.dir, 'other');
    const deploy = await marshal(project.dir, ['deploy', 'dev', '--version', 'v1', '--quiet']);
    expect(deploy.code).toBe(1);
    expect(deploy.stdout).toContain(
      `[PORT_IN_USE] cannot start api: port ${port} is held by pid ${holder} "${process.execPath} ${SERVER}", not by a process Marshal started for api`,
    );
    expect((await httpGet(`http://127.0.0.1:${port}/`)).body.trim()).toBe('other');
    const history = await marshalJson<{ runs: { state: string }[] }>(project.dir, ['history']);
    expect(history.json.runs[0]?.state).toBe('rolled_back');
    expect(groupsOf(markedProcesses(join(project.dir, '.marshal/hosts/dev/h1/api/run/service')))).toEqual([]);
    expect(existsSync(pidFile())).toBe(false);
  });
});

describe('a service process that exits', () => {
  it('during its health check: the step fails with its exit code, and show lists its last output', async () => {
    await setup(`sh -c 'echo DATABASE_URL is not set >&2; exit 3'`);
    const deploy = await marshal(project.dir, ['deploy', 'dev', '--version', 'v1', '--quiet']);
    expect(deploy.code).toBe(1);
    const show = await marshal(project.dir, ['show', 'last']);
    expect(show.stdout).toMatch(/api\/h1\/health .*\[PROCESS_EXITED\] process exited with code 3/);
    expect(show.stdout).toContain('│ DATABASE_URL is not set');
  });

  it('right after its health check passed: the settle window catches it', async () => {
    await setup(`sh -c '${process.execPath} server.mjs & sleep 0.15; kill $!; exit 4'`);
    const deploy = await marshal(project.dir, ['deploy', 'dev', '--version', 'v1', '--quiet']);
    expect(deploy.code).toBe(1);
    const show = await marshal(project.dir, ['show', 'last']);
    expect(show.stdout).toMatch(/\[PROCESS_EXITED\] process exited with code 4/);
  });
});

describe('status --probe and deploy --force', () => {
  it('an untracked old instance answering for a dead recorded one: probe shows the drift, --force recovers', async () => {
    await setup();
    expect((await marshal(project.dir, ['deploy', 'dev', '--version', 'v1', '--quiet'])).code).toBe(0);
    // What an older Marshal left: the recorded process gone, an unrecorded one of an older
    // release serving in its place (no marker: started before Marshal marked its processes).
    const recorded = Number(readFileSync(pidFile(), 'utf8'));
    process.kill(-recorded, 'SIGKILL');
    await waitUntil(() => portHolder(port) === null, 5000);
    const old = await stranger(join(project.dir, '.marshal/hosts/dev/h1/api/releases/v1'), 'v0');
    expect((await marshal(project.dir, ['status'])).stdout).toMatch(/api\s+v1\s/);

    const probe = await marshalJson<Probed>(project.dir, ['status', '--probe']);
    expect(probe.json.drifted).toBe(1);
    expect(probe.json.targets[0]?.drift).toEqual([
      `recorded pid ${recorded} is not running`,
      `port ${port} is answered by pid ${old} "${process.execPath} ${SERVER}" (v1)`,
    ]);
    const text = await marshal(project.dir, ['status', '--probe']);
    expect(text.stdout).toContain(`redeploy them: marshal deploy dev --force --services api --set api=v1`);

    expect((await marshal(project.dir, ['deploy', 'dev', '--set', 'api=v1'])).stdout).toContain(
      'Nothing to change',
    );
    const forced = await marshal(project.dir, ['deploy', 'dev', '--force', '--set', 'api=v1', '--quiet']);
    expect(forced.code).toBe(0);
    const logs = await marshal(project.dir, ['logs', 'last', '--step', 'api/h1/start']);
    expect(logs.stdout).toContain(`stopping pid ${old} on port ${port}`);
    const now = Number(readFileSync(pidFile(), 'utf8'));
    const holder = portHolder(port);
    expect(holder?.pid == null ? null : processGroup(holder.pid)).toBe(now);
    expect((await httpGet(`http://127.0.0.1:${port}/`)).body.trim()).toBe('v1');
    expect((await marshalJson<Probed>(project.dir, ['status', '--probe'])).json.drifted).toBe(0);
  });

  it('a foreign listener after the recorded process died: probe names it; --force succeeds once it is gone', async () => {
    await setup();
    expect((await marshal(project.dir, ['deploy', 'dev', '--version', 'v1', '--quiet'])).code).toBe(0);
    process.kill(-Number(readFileSync(pidFile(), 'utf8')), 'SIGKILL');
    await waitUntil(() => portHolder(port) === null, 5000);
    const foreign = await stranger(project.dir, 'foreign');
    const probe = await marshalJson<Probed>(project.dir, ['status', '--probe']);
    expect(probe.json.targets[0]?.drift).toContain(
      `port ${port} is answered by pid ${foreign} "${process.execPath} ${SERVER}"`,
    );

    const refused = await marshal(project.dir, ['deploy', 'dev', '--force', '--set', 'api=v1', '--quiet']);
    expect(refused.stdout).toContain(`port ${port} is held by pid ${foreign}`);
    expect(refused.code).not.toBe(0);
    strangers[0]?.kill('SIGKILL');
    await waitUntil(() => portHolder(port) === null, 5000);
    const forced = await marshal(project.dir, ['deploy', 'dev', '--force', '--set', 'api=v1', '--quiet']);
    expect(forced.code).toBe(0);
    expect((await httpGet(`http://127.0.0.1:${port}/`)).body.trim()).toBe('v1');
  });
});
