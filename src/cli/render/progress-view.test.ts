import { describe, expect, it } from 'vitest';
import { liveTargetsOf, type NewEvent, type StepRecord, type TargetState } from '../../model/run.js';
import { buildPlan } from '../../plan/index.js';
import { appService, testProject } from '../../testing/project.js';
import { ProgressView } from './progress-view.js';

const project = testProject({
  services: {
    db: appService({ group: 'db', steps: [{ name: 'migrate', run: 'migrate' }] }),
    api: appService({ needs: ['db'] }),
  },
  environments: { dev: { groups: { db: { hosts: ['db-1'] }, app: { hosts: ['a-1'] } } } },
});

const live = (service: string, target: string): TargetState => ({
  environment: 'dev',
  service,
  target,
  version: 'v1',
  previous: null,
  healthy: true,
  slot: null,
  runId: 1,
  updatedAt: 0,
});

/** v1 → v2 of db (5 steps: upload, run:migrate, switch, start, health) and api (4 steps). */
const plan = buildPlan(
  project,
  { environment: 'dev', version: 'v2' },
  liveTargetsOf([live('db', 'db-1'), live('api', 'a-1')]),
);
const DB = ['upload', 'run:migrate', 'switch', 'start', 'health'].map((p) => `db/db-1/${p}`);

function view(): ProgressView {
  const v = new ProgressView(plan);
  v.runId = 3;
  return v;
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: strips ANSI colour codes from a frame
const plainText = (line: string) => line.replace(/\x1b\[[0-9;]*m/g, '');

/** The frame's row of `service`, its colours stripped and blanks squeezed. */
function row(v: ProgressView, service: string): string {
  const lines = v.frame(10_000, '*', 0).map((l) => plainText(l).replace(/ +/g, ' ').trim());
  const found = lines.find((l) => l.split(' ')[1] === service);
  if (found === undefined) throw new Error(`no row for ${service} in:\n${lines.join('\n')}`);
  return found;
}

function record(stepId: string, state: StepRecord['state']): StepRecord {
  const ended = state === 'succeeded' || state === 'failed' || state === 'skipped';
  return {
    runId: 3,
    stepId,
    state,
    attempts: 1,
    startedAt: 1000,
    endedAt: ended ? 2000 : null,
    durationMs: ended ? 1000 : null,
    error: null,
    note: null,
  };
}

const at = 5000;
const started = (stepId: string): NewEvent => ({
  type: 'step.started',
  runId: 3,
  stepId,
  at,
  data: { attempt: 1 },
});
const succeeded = (stepId: string, version?: string): NewEvent => ({
  type: 'step.succeeded',
  runId: 3,
  stepId,
  at,
  data: {
    attempt: 1,
    durationMs: 10,
    ...(version
      ? { target: { service: stepId.split('/')[1] as string, target: 'x', version, previous: 'v2' } }
      : {}),
  },
});
const state = (next: 'rolling_back' | 'rolled_back'): NewEvent => ({
  type: 'run.state',
  runId: 3,
  at,
  data: { state: next },
});

describe('the live view', () => {
  it('after resume, counts the steps finished before the interruption; a step that was in flight is pending', () => {
    const v = view();
    v.seed([
      ...DB.map((id) => record(id, 'succeeded')),
      record('api/a-1/upload', 'succeeded'),
      record('api/a-1/switch', 'running'),
    ]);
    expect(row(v, 'db')).toBe('✓ db v1 → v2 5/5 1.0s');
    expect(row(v, 'api')).toBe('· api v1 → v2 1/4');
  });

  it('after an automatic rollback, shows each service back on its old version, not moved to the new one', () => {
    const v = view();
    for (const id of DB) v.apply(succeeded(id));
    for (const id of ['api/a-1/upload', 'api/a-1/switch', 'api/a-1/start']) v.apply(succeeded(id));
    v.apply({
      type: 'step.failed',
      runId: 3,
      stepId: 'api/a-1/health',
      at,
      data: {
        attempt: 1,
        durationMs: 10,
        final: true,
        error: { code: 'HEALTH_CHECK_FAILED', message: 'no' },
      },
    });
    v.apply(state('rolling_back'));
    v.apply(started('rollback/api/a-1/restore'));
    v.apply(succeeded('rollback/api/a-1/restore', 'v1'));
    v.apply(started('rollback/db/db-1/restore'));
    expect(row(v, 'db')).toBe('* db rolling back to v1 5/5 db-1/restore');
    v.apply(succeeded('rollback/db/db-1/restore', 'v1'));
    v.apply(state('rolled_back'));
    const frame = v.frame(10_000, '*', 0).map(plainText);
    expect(frame[0]).toMatch(/^run #3 rolled back dev/);
    expect(row(v, 'db')).toMatch(/^↩ db back on v1 5\/5/);
    expect(row(v, 'api')).toMatch(/^✗ api back on v1 3\/4/);
    expect(frame.join('\n')).not.toContain('v1 → v2');
  });
});

describe('the live view of a canary', () => {
  const canary = testProject({
    services: {
      web: {
        group: 'app',
        artifact: 'build/{{ version }}',
        start: { command: 'serve' },
        strategy: {
          type: 'canary',
          router: 'edge',
          slots: { blue: { port: 8001 }, green: { port: 8002 } },
          steps: [{ setWeight: 50 }],
        },
      },
    },
    environments: {
      dev: { routers: { edge: { type: 'command', run: 'true' } }, groups: { app: { hosts: ['a-1'] } } },
    },
  });
  const canaryPlan = buildPlan(canary, { environment: 'dev', version: 'v2' }, {});
  const web = canaryPlan.services[0];

  it('is not done when its slots are up: its traffic steps count too', () => {
    if (web?.delivery == null) throw new Error('no canary planned');
    const v = new ProgressView(canaryPlan);
    const total = web.phases.length + web.delivery.steps.length;
    for (const p of web.phases) v.apply(succeeded(`web/a-1/${p.id}`));
    expect(row(v, 'web')).toBe(`· web — → v2 ${web.phases.length}/${total}`);
    for (const d of web.delivery.steps) v.apply(succeeded(`web/-/${d.id}`));
    expect(row(v, 'web')).toBe(`✓ web — → v2 ${total}/${total}`);
  });
});
