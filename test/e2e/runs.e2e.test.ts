/**
 * Runs end to end through the CLI: the environment lock between two real
 * processes, kill -9 and resume, Ctrl-C, and a rollback that fails.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { marshal, marshalJson, start, type TempProject, tempProject, waitFor } from './harness.js';

/** A chain of services s1 → s2 → … each running step.sh, which logs `start sN` and `done sN`. */
function chainProject(count: number, sleepSeconds: number): TempProject {
  const services = Array.from({ length: count }, (_, i) => {
    const name = `s${i + 1}`;
    const needs = i === 0 ? '' : `\n    needs: [s${i}]`;
    return `  ${name}:\n    group: app${needs}\n    version: v1\n    steps:\n      - run: sh step.sh ${name}`;
  }).join('\n');
  return tempProject({
    'marshal.yaml': `services:\n${services}\nenvironments:\n  dev:\n    groups:\n      app:\n        hosts: [h1]\n`,
    'step.sh': `echo "start $1" >> effects.log\nsleep ${sleepSeconds}\necho "done $1" >> effects.log\n`,
  });
}

function effects(dir: string): string[] {
  try {
    return readFileSync(join(dir, 'effects.log'), 'utf8').trim().split('\n').filter(Boolean);
  } catch {
    return [];
  }
}

let project: TempProject | undefined;
afterEach(() => {
  project?.cleanup();
  project = undefined;
});

describe('environment lock', () => {
  it('refuses a second deploy with exit 4 naming the holder; --wait queues behind it', async () => {
    project = chainProject(1, 1.5);
    const first = start(project.dir, ['deploy', 'dev']);
    await waitFor(() => effects(project?.dir ?? '').length > 0, 10_000, 'the first deploy to start');
    const blocked = await marshal(project.dir, ['deploy', 'dev', '--version', 'v2']);
    expect(blocked.code).toBe(4);
    expect(blocked.stderr).toMatch(/error\[LOCK_HELD\]: dev is locked by run #1 \(e2e-tester, pid \d+/);
    expect(blocked.stderr).toContain('--wait');
    const waiting = start(project.dir, ['deploy', 'dev', '--version', 'v2', '--wait']);
    expect((await first.done).code).toBe(0);
    const queued = await waiting.done;
    expect(queued.code, queued.stdout + queued.stderr).toBe(0);
    expect(queued.stderr).toContain('waiting for dev: locked by run #1');
    const { json } = await marshalJson<{ runs: { id: number; state: string }[] }>(project.dir, ['history']);
    expect(json.runs.map((r) => `${r.id}:${r.state}`)).toEqual(['2:succeeded', '1:succeeded']);
  });
});

describe('kill -9 and resume', () => {
  it('finishes the run without repeating finished steps', async () => {
    project = chainProject(5, 0.3);
    const deploy = start(project.dir, ['deploy', 'dev']);
    const dir = project.dir;
    await waitFor(() => effects(dir).includes('done s2'), 15_000, 's2 to finish');
    deploy.child.kill('SIGKILL');
    await deploy.done;
    // Finished = recorded as succeeded. A command in flight at the kill may still complete on its
    // own, unrecorded: that step is checked and run again on resume, which the contract allows.
    // Until it is resumed (or cancelled), the environment takes no new run: its targets are unknown.
    const blocked = await marshal(dir, ['deploy', 'dev', '--version', 'v2']);
    expect(blocked.code).toBe(4);
    expect(blocked.stderr).toMatch(/error\[RUN_UNFINISHED\]: dev has an unfinished run #1/);
    expect(blocked.stderr).toContain('marshal resume 1');

    const { json: shown } = await marshalJson<{
      run: { state: string };
      steps: { stepId: string; state: string }[];
    }>(dir, ['show', '1']);
    expect(shown.run.state).toBe('running');
    const finishedBefore = shown.steps
      .filter((s) => s.state === 'succeeded')
      .map((s) => s.stepId.split('/')[0] as string);
    expect(finishedBefore.length).toBeGreaterThanOrEqual(1);

    const resumed = await marshal(dir, ['resume', '1']);
    expect(resumed.code, resumed.stdout + resumed.stderr).toBe(0);
    const after = effects(dir);
    for (const name of finishedBefore) {
      expect(after.filter((l) => l === `start ${name}`)).toHaveLength(1);
      expect(after.filter((l) => l === `done ${name}`)).toHaveLength(1);
    }
    for (const name of ['s1', 's2', 's3', 's4', 's5']) expect(after).toContain(`done ${name}`);
    const { json } = await marshalJson<{ run: { state: string } }>(dir, ['show', '1']);
    expect(json.run.state).toBe('succeeded');
  });

  it('refuses to resume a run that has ended', async () => {
    project = chainProject(1, 0);
    expect((await marshal(project.dir, ['deploy', 'dev'])).code).toBe(0);
    const again = await marshal(project.dir, ['resume', '1']);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('run #1 has ended (succeeded)');
  });
});

describe('Ctrl-C', () => {
  it('stops cleanly with exit 130; the run is resumable', async () => {
    project = chainProject(3, 0.5);
    const deploy = start(project.dir, ['deploy', 'dev']);
    const dir = project.dir;
    await waitFor(() => effects(dir).includes('start s2'), 15_000, 's2 to start');
    deploy.child.kill('SIGINT');
    const stopped = await deploy.done;
    expect(stopped.code).toBe(130);
    expect(stopped.stdout).toContain('resumable: marshal resume 1');
    const { json } = await marshalJson<{
      run: { state: string };
      steps: { stepId: string; state: string }[];
    }>(dir, ['show', '1']);
    expect(json.run.state).toBe('cancelled');
    expect(json.steps.find((s) => s.stepId === 's2/h1/run:run1')?.state).toBe('cancelled');
    expect(json.steps.find((s) => s.stepId === 's3/h1/run:run1')?.state).toBe('pending');
    const resumed = await marshal(dir, ['resume', 'last']);
    expect(resumed.code).toBe(0);
    expect(effects(dir).filter((l) => l === 'done s1')).toHaveLength(1);
    expect(effects(dir)).toContain('done s3');
  });
});

describe('failure outcomes', () => {
  const failing = (rollback: string) =>
    tempProject({
      'marshal.yaml': `services:
  a:
    group: app
    version: v1
    steps:
      - run: echo deployed-a
    rollback:
      - run: ${rollback}
  b:
    group: app
    needs: [a]
    version: v1
    steps:
      - run: sh -c 'echo broken >&2; exit 3'
environments:
  dev:
    groups:
      app:
        hosts: [h1]
`,
    });

  it('exits 1 when the run failed and rolled back cleanly', async () => {
    project = failing('echo undo-a');
    const result = await marshal(project.dir, ['deploy', 'dev']);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('rolled_back');
    const logs = await marshal(project.dir, ['logs', '1', '--step', 'rollback/a/h1/run:rollback1']);
    expect(logs.stdout).toContain('undo-a');
    const failedLogs = await marshal(project.dir, ['logs', '1', '--step', 'b/h1/run:run1']);
    expect(failedLogs.stdout).toContain('broken');
  });

  it('exits 3 when a rollback step fails', async () => {
    project = failing('exit 7');
    const result = await marshal(project.dir, ['deploy', 'dev']);
    expect(result.code).toBe(3);
    expect(result.stdout).toContain('rollback_failed');
    const { json } = await marshalJson<{ run: { error: { code: string } } }>(project.dir, ['show', '1']);
    expect(json.run.error.code).toBe('ROLLBACK_FAILED');
  });

  it('leaves targets as they failed with --no-rollback (exit 1, state failed)', async () => {
    project = failing('echo undo-a');
    const result = await marshal(project.dir, ['deploy', 'dev', '--no-rollback']);
    expect(result.code).toBe(1);
    const { json } = await marshalJson<{
      services: { service: string; targets: { version: string; healthy: boolean }[] }[];
    }>(project.dir, ['status']);
    // a stayed deployed; b failed half-way: live at v1 but unhealthy, so the next deploy retries it.
    expect(json.services.map((s) => [s.service, s.targets[0]?.version, s.targets[0]?.healthy])).toEqual([
      ['a', 'v1', true],
      ['b', 'v1', false],
    ]);
    const plan = await marshal(project.dir, ['plan', 'dev']);
    expect(plan.stdout).toMatch(/\n\s+b\s+v1 → v1/);
    const shown = await marshalJson<{ run: { state: string } }>(project.dir, ['show', '1']);
    expect(shown.json.run.state).toBe('failed');
  });
});

describe('a large run', () => {
  // 600 steps: past the size at which the CLI tunes V8 for a long run (cli/tuning.ts).
  it('runs every step of a 600-step deploy, each host once', async () => {
    const hosts = Array.from({ length: 300 }, (_, i) => `h${i}`).join(', ');
    project = tempProject({
      'marshal.yaml': `services:
  a:
    group: app
    version: v1
    steps:
      - run: echo "{{ host.name }}" >> a.log
  b:
    group: app
    needs: [a]
    version: v1
    steps:
      - run: echo "{{ host.name }}" >> b.log
environments:
  dev:
    groups:
      app:
        hosts: [${hosts}]
`,
    });
    const result = await marshal(project.dir, ['deploy', 'dev', '-q']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('600 of 600 steps succeeded');
    for (const log of ['a.log', 'b.log']) {
      const lines = readFileSync(join(project.dir, log), 'utf8').trim().split('\n');
      expect(new Set(lines).size).toBe(300);
      expect(lines).toHaveLength(300);
    }
    // `show` sums up a run this large per service; --all lists each step.
    const shown = await marshal(project.dir, ['show', 'last']);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toMatch(/^ {2}a +300 steps +300 succeeded/m);
    expect(shown.stdout).toContain('600 steps in all; `marshal show 1 --all` lists each one');
    expect(shown.stdout.split('\n').length).toBeLessThan(30);
    const all = await marshal(project.dir, ['show', 'last', '--all']);
    expect(all.stdout).toContain('b/h299/');
    expect(all.stdout.split('\n').length).toBeGreaterThan(600);
  });

  // 20,000 steps over a fleet that already runs: planning reads every live target and the
  // history (sampled), and the CLI collects garbage once planned (cli/tuning.ts).
  it('upgrades a simulated fleet of 20,000 targets that already runs a version', async () => {
    const hosts = Array.from({ length: 10_000 }, (_, i) => `h${i}`).join(', ');
    project = tempProject({
      'marshal.yaml': `defaults:
  provider: simulate
  concurrency: 256
services:
  a:
    group: fleet
    steps: [{ run: deploy }]
  b:
    group: fleet
    needs: [a]
    steps: [{ run: deploy }]
environments:
  prod:
    groups:
      fleet:
        hosts: [${hosts}]
`,
    });
    const first = await marshal(project.dir, ['deploy', 'prod', '--version', 'v1', '-q']);
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('20000 of 20000 steps succeeded');
    const plan = await marshalJson<{ plan: { services: { name: string; from: string }[] } }>(project.dir, [
      'plan',
      'prod',
      '--version',
      'v2',
    ]);
    expect(plan.json.plan.services.map((s) => [s.name, s.from])).toEqual([
      ['a', 'v1'],
      ['b', 'v1'],
    ]);
    const upgrade = await marshal(project.dir, ['deploy', 'prod', '--version', 'v2', '-q']);
    expect(upgrade.code).toBe(0);
    expect(upgrade.stdout).toContain('20000 of 20000 steps succeeded');
    expect(upgrade.stdout).toContain('a v1→v2');
  }, 60_000);
});
