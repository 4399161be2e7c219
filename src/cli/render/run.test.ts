import { describe, expect, it } from 'vitest';
import type { Plan } from '../../model/plan.js';
import type { RunRecord, StepRecord } from '../../model/run.js';
import { renderRun, STEP_LIST_LIMIT } from './run.js';

const run: RunRecord = {
  id: 7,
  environment: 'prod',
  kind: 'deploy',
  state: 'rolled_back',
  actor: 'alice',
  reason: null,
  configDigest: 'abcdef0123456789',
  plan: { services: [{ name: 'api', from: 'v1', to: 'v2' }], unchanged: [] } as unknown as Plan,
  createdAt: 0,
  updatedAt: 0,
  endedAt: 1000,
  error: null,
};

function step(stepId: string, state: StepRecord['state'], durationMs: number | null = 10): StepRecord {
  return {
    runId: 7,
    stepId,
    state,
    attempts: 1,
    startedAt: 0,
    endedAt: 0,
    durationMs,
    error: state === 'failed' ? { code: 'COMMAND_FAILED', message: 'command exited 3: migrate' } : null,
    note: null,
  };
}

/** `count` hosts of `service`, each with an upload step. */
function fleet(service: string, count: number, state: StepRecord['state']): StepRecord[] {
  return Array.from({ length: count }, (_, i) => step(`${service}/h${i}/upload`, state));
}

describe('show', () => {
  it('lists every step of a run of ordinary size', () => {
    const text = renderRun(run, [...fleet('api', 3, 'succeeded'), step('web/h0/upload', 'failed')]);
    expect(text).toContain('api/h2/upload');
    expect(text).toContain('web/h0/upload');
    expect(text).not.toContain('steps in all');
  });

  it('summarises a large run per service, and still lists the steps that need a look', () => {
    const steps = [
      ...fleet('api', 300, 'succeeded'),
      { ...step('api/h300/upload', 'succeeded'), durationMs: 5000 },
      step('web/h0/upload', 'failed'),
      ...fleet('web', 99, 'skipped').map((s) => ({ ...s, stepId: s.stepId.replace('/h', '/x') })),
      step('rollback/api/h0/restore', 'succeeded'),
    ];
    const text = renderRun(run, steps);
    const lines = text.split('\n');
    expect(lines.length).toBeLessThan(30);
    expect(text).toMatch(/api\s+301 steps\s+301 succeeded\s+slowest api\/h300\/upload 5\.0s/);
    expect(text).toMatch(/web\s+100 steps\s+1 failed, 99 skipped/);
    expect(text).toMatch(/web\/h0\/upload.*\[COMMAND_FAILED\] command exited 3: migrate/);
    expect(text).toContain('401 steps in all; `marshal show 7 --all` lists each one');
    // The rollback section is small: listed as it is.
    expect(text).toContain('rollback/api/h0/restore');
  });

  it('lists every step of a large run when asked for all', () => {
    const steps = fleet('api', STEP_LIST_LIMIT + 1, 'succeeded');
    const text = renderRun(run, steps, {}, true);
    expect(text).toContain(`api/h${STEP_LIST_LIMIT}/upload`);
    expect(text).not.toContain('steps in all');
  });
});
