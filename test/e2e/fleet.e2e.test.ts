/**
 * A fleet over SSH, end to end through the CLI: six real sshd hosts started by
 * the test (own users, ports, host keys), a rolling deploy of an HTTP app in
 * batches with a failure budget, and what goes wrong in fleets: a host that
 * fails its health check, a host whose sshd dies mid-rollout, a changed host
 * key, a command that hangs. Every host is checked by its `current` link and
 * its HTTP answer; each run uses one connection per host.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, readdirSync, readlinkSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SshdHosts, startSshdHosts } from '../../src/testing/sshd-hosts.js';
import { freePort, httpGet, marshal, ROOT, type TempProject, tempProject, waitFor } from './harness.js';

const HOSTS = 6;
let fleet: SshdHosts;
let project: TempProject;
const ports: number[] = [];

/** The project: one service `app` on every host, rolled out two hosts at a time. */
function writeConfig(options: { maxFailures: number; broken?: Record<string, string> }): void {
  const hosts = fleet.hosts.map((h, i) => {
    const broken = options.broken?.[h.name] ?? 'none';
    return `          - { name: ${h.name}, address: 127.0.0.1, port: ${h.port}, user: ${h.user}, root: ${h.root}, vars: { app_port: ${ports[i]}, broken: ${broken} } }`;
  });
  project.write(
    'marshal.yaml',
    `defaults:
  provider: ssh
  ssh:
    identityFile: ${fleet.identityFile}
    knownHosts: ${fleet.knownHostsFile}
    connectTimeout: 3s
services:
  app:
    group: fleet
    artifact: build/{{ version }}
    strategy: { type: rolling, batchSize: 2, maxFailures: ${options.maxFailures} }
    start:
      command: ${process.execPath} server.mjs
      port: "{{ host.app_port }}"
      env: { BROKEN: "{{ host.broken }}" }
    health:
      http: { url: "http://127.0.0.1:{{ host.app_port }}/health" }
      interval: 100ms
      failureThreshold: 8
  static:
    group: fleet-job
    artifact: static/{{ version }}
    keepReleases: 2
    health:
      command: grep -qx {{ version }} VERSION
  job:
    group: fleet-job
    steps:
      - name: hang
        run: sleep 30
        timeout: 1s
environments:
  prod:
    groups:
      fleet:
        hosts:
${hosts.join('\n')}
      fleet-job:
        hosts:
${hosts[0]}
`,
  );
}

/** A release of the demo app (examples/shop/app) as its build script makes it. */
function build(version: string): void {
  const dir = join(project.dir, 'build', version);
  mkdirSync(dir, { recursive: true });
  cpSync(join(ROOT, 'examples/shop/app'), dir, { recursive: true });
  writeFileSync(join(dir, 'release.json'), JSON.stringify({ service: 'app', version }));
}

/** What a host runs: its `current` link and its HTTP answer. */
async function live(index: number): Promise<{ current: string; answer: string }> {
  const host = fleet.hosts[index];
  if (!host) throw new Error(`no host ${index}`);
  const current = readlinkSync(join(host.root, 'app', 'current'));
  // The demo app answers `<service> <version>`.
  const answer = (await httpGet(`http://127.0.0.1:${ports[index]}/`)).body.trim().replace(/^app /, '');
  return { current, answer };
}

async function everyHost(): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < HOSTS; i++) {
    const { current, answer } = await live(i);
    out.push(`${current}=${answer}`);
  }
  return out;
}

const deploy = (version: string, ...more: string[]) =>
  marshal(project.dir, ['deploy', 'prod', '--services', 'app', '--version', version, ...more]);

beforeAll(async () => {
  fleet = await startSshdHosts(HOSTS);
  project = tempProject();
  for (let i = 0; i < HOSTS; i++) ports.push(await freePort());
  for (const v of ['v1', 'v2', 'v3', 'v4', 'v5']) build(v);
  writeConfig({ maxFailures: 0 });
  const first = await deploy('v1');
  expect(first.code, first.stdout + first.stderr).toBe(0);
}, 120_000);

afterAll(async () => {
  // Stop the app processes on every host, then the hosts.
  for (const host of fleet?.hosts ?? []) {
    try {
      execFileSync('pkill', ['-u', host.user]);
    } catch {
      // Nothing left to stop.
    }
  }
  await fleet?.stop();
  project?.cleanup();
});

describe('ssh fleet: rolling deploys through the CLI', () => {
  it('deployed v1 to six hosts over one connection each', async () => {
    expect(await everyHost()).toEqual(Array.from({ length: HOSTS }, () => 'releases/v1=v1'));
    for (const host of fleet.hosts) expect(fleet.acceptedConnections(host.name)).toBe(1);
  });

  it('within the failure budget: succeeds, names the failed host, the others run v2', async () => {
    writeConfig({ maxFailures: 1, broken: { host3: 'v2' } });
    const result = await deploy('v2');
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toMatch(/warning: 1 target failed within the failure budget.*app\/host3/);
    const hosts = await everyHost();
    expect(hosts.filter((_h, i) => i !== 2)).toEqual(
      Array.from({ length: HOSTS - 1 }, () => 'releases/v2=v2'),
    );
    // host3 was switched and started, then failed its check: left as it is, reported unhealthy.
    expect(hosts[2]).toBe('releases/v2=v2');
    const status = await marshal(project.dir, ['status', 'prod', '--json']);
    expect(status.stdout).toMatch(/"target": "host3",\s*"version": "v2",\s*"healthy": false/);
  });

  it('over the budget: stops starting hosts and rolls every changed host back', async () => {
    writeConfig({ maxFailures: 1, broken: { host1: 'v3', host3: 'v3' } });
    const result = await deploy('v3');
    expect(result.code, result.stdout + result.stderr).toBe(1);
    expect(result.stdout).toContain('app: 2 of 6 targets failed (allowed 1)');
    // Batches: host1+host2, host3+host4, host5+host6. The second failure (host3) stops the rollout:
    // host5 and host6 never start; host1..host4 were changed and are back on v2.
    expect(await everyHost()).toEqual(Array.from({ length: HOSTS }, () => 'releases/v2=v2'));
    const show = await marshal(project.dir, ['show', 'last', '--json']);
    const steps = JSON.parse(show.stdout).steps as { stepId: string; state: string }[];
    expect(
      steps.filter(
        (s) => s.stepId.startsWith('app/host5/') && s.state !== 'pending' && s.state !== 'skipped',
      ),
    ).toEqual([]);
    expect(
      steps.filter((s) => s.stepId.startsWith('rollback/') && s.state === 'succeeded').length,
    ).toBeGreaterThanOrEqual(4);
  });

  it('a host whose sshd dies mid-rollout fails, and the rollout is rolled back', async () => {
    writeConfig({ maxFailures: 0 });
    const running = marshal(project.dir, ['deploy', 'prod', '--services', 'app', '--version', 'v4']);
    const first = fleet.hosts[0];
    if (!first) throw new Error('no host');
    await waitFor(
      () => {
        try {
          return readlinkSync(join(first.root, 'app', 'current')) === 'releases/v4';
        } catch {
          return false;
        }
      },
      30_000,
      'host1 to switch to v4',
    );
    fleet.kill('host6');
    const result = await running;
    expect(result.code, result.stdout + result.stderr).toBe(1);
    expect(result.stdout).toMatch(/app\/host6\/\S+ .*host6/);
    await fleet.restart('host6');
    expect(await everyHost()).toEqual(Array.from({ length: HOSTS }, () => 'releases/v2=v2'));
  });

  it('refuses a host whose key changed, without retrying it', async () => {
    await fleet.rotateHostKey('host2');
    const result = await deploy('v5');
    expect(result.code, result.stdout + result.stderr).toBe(1);
    expect(result.stdout).toMatch(/host key of \[127\.0\.0\.1\]:\d+ changed/);
    expect((await live(1)).current).toBe('releases/v2');
  });

  it('deploys read-only artifacts (as Bazel and Nix make them) and prunes their old releases', async () => {
    for (const v of ['v1', 'v2', 'v3', 'v4']) {
      project.write(`static/${v}/VERSION`, `${v}\n`);
      project.write(`static/${v}/css/site.css`, 'body {}\n');
      for (const path of [`static/${v}/VERSION`, `static/${v}/css/site.css`])
        chmodSync(join(project.dir, path), 0o444);
      for (const path of [`static/${v}/css`, `static/${v}`]) chmodSync(join(project.dir, path), 0o555);
      const run = await marshal(project.dir, ['deploy', 'prod', '--services', 'static', '--version', v]);
      expect(run.code, run.stdout + run.stderr).toBe(0);
      expect(run.stdout).not.toContain('could not prune');
    }
    const host = fleet.hosts[0];
    if (!host) throw new Error('no host');
    const app = join(host.root, 'static');
    expect(readlinkSync(join(app, 'current'))).toBe('releases/v4');
    // The release keeps the artifact's modes; the two older ones were removed all the same.
    expect(statSync(join(app, 'releases/v4/css')).mode & 0o777).toBe(0o555);
    expect(readdirSync(join(app, 'releases')).sort()).toEqual(['v3', 'v4']);
  });

  it('kills a remote command that outlives its timeout', async () => {
    const result = await marshal(project.dir, ['deploy', 'prod', '--services', 'job', '--version', 'j1']);
    expect(result.code, result.stdout + result.stderr).toBe(1);
    expect(result.stdout).toMatch(/job\/host1\/run:hang FAILED \[TIMEOUT\]/);
    const user = fleet.hosts[0]?.user as string;
    let left = '';
    try {
      left = execFileSync('pgrep', ['-u', user, '-f', 'sleep 30'], { encoding: 'utf8' });
    } catch {
      left = '';
    }
    expect(left.trim()).toBe('');
  });
});
