/**
 * Kill -9 the CLI (alone: the services it started live on) at seeded points — most between a
 * service's spawn and its pid file, the rest at random moments of the same stretch — then
 * resume. Every time: exactly one instance of the service per target, its pid the recorded
 * one, holding the port, answering the version deployed; and the next deploy replaces it.
 */
import { cpSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { groupsOf, markedProcesses, portHolder, processGroup } from '../../src/providers/procfs.js';
import { type SshdHosts, startSshdHosts } from '../../src/testing/sshd-hosts.js';
import { freePort, httpGet, marshalJson, ROOT, start, type TempProject, tempProject } from './harness.js';

const SERVER = join(ROOT, 'src/providers/fixtures/server.mjs');
/** Where a service process is stopped between spawn and recorded (fault.ts), then just after. */
const WINDOW = ['start:spawned', 'start:version', 'start:time', 'start:recorded'];

/** A small seeded generator (mulberry32): the same kill points on every run of the suite. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Target {
  name: string;
  port: number;
  /** Absolute deploy root of the host on this machine (ssh hosts live here too). */
  root: string;
}

function config(defaults: string, hosts: string): string {
  return `project: crash
defaults:
${defaults}  timeout: 30s
  retry: { attempts: 1 }
services:
  api:
    group: app
    artifact: app
    start:
      command: ${process.execPath} server.mjs
      port: "{{ host.port }}"
      settle: 100ms
    health:
      http: { url: "http://127.0.0.1:{{ host.port }}/health" }
      interval: 50ms
      failureThreshold: 200
environments:
  dev:
${hosts}`;
}

/** What runs for `target` really is the one recorded instance, holding the port, answering `version`. */
async function expectOneInstance(target: Target, version: string, context: string): Promise<void> {
  const instance = join(target.root, 'api/run/service');
  const recorded = Number(readFileSync(`${instance}.pid`, 'utf8'));
  const groups = groupsOf(markedProcesses(instance)).map((g) => g.pgid);
  expect(groups, `${context}: instances on ${target.name}`).toEqual([recorded]);
  const holder = portHolder(target.port);
  expect(holder?.pid == null ? null : processGroup(holder.pid), `${context}: port holder`).toBe(recorded);
  expect((await httpGet(`http://127.0.0.1:${target.port}/`)).body.trim(), context).toBe(version);
}

/** Deploys `version`, killed as `kill` says; resumes (or deploys again) until the run has ended well. */
async function crashAndRecover(
  dir: string,
  version: string,
  kill: { fault: string } | { afterSwitchMs: number },
): Promise<string> {
  const env: Record<string, string> = 'fault' in kill ? { MARSHAL_FAULT: kill.fault } : {};
  const run = start(dir, ['deploy', 'dev', '--version', version, '--quiet'], env);
  if ('afterSwitchMs' in kill) {
    // Started once a switch is done: the start phase comes next, on one host or both.
    const killer = setInterval(() => {
      if (!/\/switch (succeeded|failed)/.test(run.output())) return;
      clearInterval(killer);
      setTimeout(() => run.child.kill('SIGKILL'), kill.afterSwitchMs);
    }, 2);
    run.done.finally(() => clearInterval(killer));
  }
  const ended = await run.done;
  const { json } = await marshalJson<{ runs: { id: number; state: string; versions: { to: string }[] }[] }>(
    dir,
    ['history', '--limit', '1'],
  );
  const last = json.runs[0];
  const how = `${JSON.stringify(kill)} (exit ${ended.code})`;
  if (last !== undefined && ['running', 'rolling_back', 'pending'].includes(last.state)) {
    const resumed = await start(dir, ['resume', String(last.id), '--quiet']).done;
    expect(resumed.code, `resume after ${how}: ${resumed.stdout}${resumed.stderr}`).toBe(0);
  } else if (last?.state !== 'succeeded' || last.versions[0]?.to !== version) {
    // Killed before the run existed: deploy again.
    const again = await start(dir, ['deploy', 'dev', '--version', version, '--quiet']).done;
    expect(again.code, `deploy again after ${how}: ${again.stdout}${again.stderr}`).toBe(0);
  }
  return how;
}

/** One lane: a project of two hosts, `rounds` seeded kills, each verified. */
async function lane(project: TempProject, targets: Target[], seed: number, rounds: number): Promise<number> {
  const next = random(seed);
  let windowKills = 0;
  for (let i = 1; i <= rounds; i++) {
    const version = `v${seed}-${i}`;
    const inWindow = next() < 0.75;
    const kill = inWindow
      ? { fault: `${WINDOW[Math.floor(next() * WINDOW.length)]}#${1 + Math.floor(next() * targets.length)}` }
      : { afterSwitchMs: Math.floor(next() * 60) };
    if (inWindow) windowKills++;
    const how = await crashAndRecover(project.dir, version, kill);
    for (const t of targets) await expectOneInstance(t, version, `round ${i} after ${how}`);
  }
  return windowKills;
}

async function localProject(): Promise<{ project: TempProject; targets: Target[] }> {
  const project = tempProject();
  cpSync(SERVER, join(project.dir, 'app/server.mjs'));
  const targets: Target[] = [];
  for (const name of ['h1', 'h2'])
    targets.push({ name, port: await freePort(), root: join(project.dir, '.marshal/hosts/dev', name) });
  const hosts = targets.map((t) => `          - { name: ${t.name}, vars: { port: ${t.port} } }`).join('\n');
  project.write('marshal.yaml', config('', `    groups:\n      app:\n        hosts:\n${hosts}\n`));
  return { project, targets };
}

const projects: TempProject[] = [];
let sshd: SshdHosts | undefined;
afterAll(async () => {
  for (const p of projects) p.cleanup();
  await sshd?.stop();
});

describe('kill -9 at seeded points, then resume', () => {
  it('local: 104 kills (most between spawn and pid file), one recorded instance every time', async () => {
    const lanes = await Promise.all([1, 2, 3, 4].map(() => localProject()));
    projects.push(...lanes.map((l) => l.project));
    const windowKills = await Promise.all(lanes.map((l, i) => lane(l.project, l.targets, 101 + i, 26)));
    expect(windowKills.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(70);
  }, 600_000);

  it('ssh: kills around the remote start, one recorded instance every time', async () => {
    sshd = await startSshdHosts(2);
    const project = tempProject();
    projects.push(project);
    cpSync(SERVER, join(project.dir, 'app/server.mjs'));
    const targets: Target[] = [];
    for (const name of ['host1', 'host2'])
      targets.push({ name, port: await freePort(), root: join(sshd.host(name).root) });
    const hosts = targets
      .map((t) => {
        const h = (sshd as SshdHosts).host(t.name);
        return `          - { name: ${t.name}, address: 127.0.0.1, port: ${h.port}, user: ${h.user}, root: ${h.root}, vars: { port: ${t.port} } }`;
      })
      .join('\n');
    const defaults = `  provider: ssh\n  ssh: { identityFile: ${sshd.identityFile}, knownHosts: ${sshd.knownHostsFile} }\n`;
    project.write('marshal.yaml', config(defaults, `    groups:\n      app:\n        hosts:\n${hosts}\n`));
    const next = random(7);
    for (let i = 1; i <= 16; i++) {
      const version = `v${i}`;
      const how = await crashAndRecover(project.dir, version, { afterSwitchMs: Math.floor(next() * 120) });
      for (const t of targets) await expectOneInstance(t, version, `ssh round ${i} after ${how}`);
    }
  }, 600_000);
});
