/**
 * A canary that waits for a person holds back only itself: an unrelated service in the same run
 * finishes, the run waits (exit 4), and `marshal approve` goes on from the pause. Real processes
 * in two slots, behind a `command` router that writes the backends it is given to a file.
 */
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, marshal, marshalJson, ROOT, type TempProject, tempProject } from './harness.js';

let project: TempProject;

beforeAll(async () => {
  project = tempProject();
  const dir = join(project.dir, 'build', 'v1');
  mkdirSync(dir, { recursive: true });
  cpSync(join(ROOT, 'examples/shop/app'), dir, { recursive: true });
  writeFileSync(join(dir, 'release.json'), JSON.stringify({ service: 'canary', version: 'v1' }));
  const [blue, green] = [await freePort(), await freePort()];
  const routed = join(project.dir, 'routed.json');
  const ran = join(project.dir, 'jobs-ran.log');
  project.write(
    'marshal.yaml',
    `services:
  canary:
    group: canary
    artifact: build/{{ version }}
    start: { command: ${process.execPath} server.mjs }
    health:
      http: { url: "http://127.0.0.1:{{ port }}/health" }
      interval: 100ms
    strategy:
      type: canary
      router: edge
      slots: { blue: { port: "{{ host.blue }}" }, green: { port: "{{ host.green }}" } }
      steps:
        - setWeight: 10
        - pause: {}
  jobs:
    group: jobs
    steps:
      # Still running when the canary stops at its pause: it waits for the canary's traffic, then a little.
      - { name: after-traffic, run: "while [ ! -f ${routed} ]; do sleep 0.05; done; sleep 0.3" }
      - { name: record, run: "echo ran >> ${ran}" }
environments:
  dev:
    routers:
      edge: { type: command, run: 'printf %s "$MARSHAL_BACKENDS" > ${routed}' }
    groups:
      canary:
        hosts: [{ name: h1, vars: { blue: ${blue}, green: ${green} } }]
      jobs:
        hosts: [j1]
`,
  );
}, 60_000);

afterAll(() => project?.cleanup());

interface Shown {
  run: { state: string };
  steps: { stepId: string; state: string; note: string | null }[];
}

describe('a canary waiting for approval beside an unrelated service', () => {
  it('lets the unrelated service finish, waits, and goes on when approved', async () => {
    const deploy = await marshal(project.dir, ['deploy', 'dev', '--version', 'v1']);
    expect(deploy.code, deploy.stdout + deploy.stderr).toBe(4);
    let shown = (await marshalJson<Shown>(project.dir, ['show', 'last'])).json;
    const state = (id: string) => shown.steps.find((s) => s.stepId === id)?.state;
    expect(shown.run.state).toBe('waiting');
    expect([state('jobs/j1/run:after-traffic'), state('jobs/j1/run:record')]).toEqual([
      'succeeded',
      'succeeded',
    ]);
    expect(state('canary/-/weight-10')).toBe('succeeded');
    expect(state('canary/-/approve')).toBe('waiting');
    expect(JSON.parse(readFileSync(join(project.dir, 'routed.json'), 'utf8'))).toMatchObject([
      { name: 'blue-h1', weight: 10 },
    ]);

    const approve = await marshal(project.dir, ['approve', 'last', '--reason', 'looks good']);
    expect(approve.code, approve.stdout + approve.stderr).toBe(0);
    shown = (await marshalJson<Shown>(project.dir, ['show', 'last'])).json;
    expect(shown.run.state).toBe('succeeded');
    expect(shown.steps.find((s) => s.stepId === 'canary/-/approve')?.note).toBe(
      'approved by e2e-tester: looks good',
    );
    expect(state('canary/-/promote')).toBe('succeeded');
    // The unrelated service was done: nothing of it ran again.
    expect(readFileSync(join(project.dir, 'jobs-ran.log'), 'utf8')).toBe('ran\n');
    expect(JSON.parse(readFileSync(join(project.dir, 'routed.json'), 'utf8'))).toMatchObject([
      { name: 'blue-h1', weight: 100 },
    ]);
  }, 60_000);
});
