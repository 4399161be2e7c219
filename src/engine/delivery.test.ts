import { describe, expect, it } from 'vitest';
import { exitCodeForRunState } from '../model/run.js';
import type { Verdict } from '../model/traffic.js';
import { deliverySetup } from '../testing/delivery-setup.js';
import { resumeRun } from './runs.js';

function setup(strategy: object, verdicts: Record<string, Verdict[]> = {}, h2: object = {}) {
  return deliverySetup({ strategy, verdicts, h2 });
}

describe('canary', () => {
  const steps = [
    { setWeight: 10 },
    { pause: { duration: '10ms' } },
    { analysis: 'errors' },
    { setWeight: 50 },
  ];

  it('shifts traffic step by step, runs the analysis, promotes, and records the serving slot', async () => {
    const { store, provider, traffic, deploy } = setup({ type: 'canary', steps });
    expect((await deploy('v1')).state).toBe('succeeded');
    // First deploy: the new version starts in blue; there is no old slot to share traffic with.
    expect(traffic.applied.at(-1)).toEqual(['blue-h1=100', 'blue-h2=100']);
    traffic.applied.length = 0;
    expect((await deploy('v2')).state).toBe('succeeded');
    expect(traffic.applied).toEqual([
      ['blue-h1=90', 'blue-h2=90', 'green-h1=10', 'green-h2=10'],
      ['blue-h1=50', 'blue-h2=50', 'green-h1=50', 'green-h2=50'],
      ['blue-h1=0', 'blue-h2=0', 'green-h1=100', 'green-h2=100'],
    ]);
    expect(traffic.analyses).toEqual(['errors', 'errors']);
    // The new version ran in the green slot, on the green ports.
    const starts = provider.calls.filter((c) => c.phase === 'apply' && c.action.kind === 'start').slice(-2);
    expect(
      starts.map((c) =>
        c.action.kind === 'start' ? `${c.action.process.slot}:${c.action.process.port}` : '',
      ),
    ).toEqual(['green:8002', 'green:8102']);
    expect((await store.getTargets('dev')).map((t) => `${t.target}:${t.version}:${t.slot}`)).toEqual([
      'h1:v2:green',
      'h2:v2:green',
    ]);
  });

  it("gives the router each local host's address: 127.0.0.1 unless the host names one, never its name", async () => {
    const { traffic, deploy } = setup({ type: 'canary', steps }, {}, { name: 'h2', address: '10.0.0.7' });
    expect((await deploy('v1')).state).toBe('succeeded');
    expect(Object.fromEntries(traffic.addresses)).toEqual({ 'blue-h1': '127.0.0.1', 'blue-h2': '10.0.0.7' });
  });

  it('an approval continues from the pause: the weights and analyses before it are not done again', async () => {
    const { traffic, deps, deploy, answer } = setup({
      type: 'canary',
      steps: [{ setWeight: 10 }, { analysis: 'errors' }, { setWeight: 50 }, { pause: {} }, { setWeight: 80 }],
    });
    const approve = (runId: number) => answer(runId, 'api/-/approve', 'approved');
    // The first deploy waits at the pause too.
    const first = await deploy('v1');
    await approve(first.runId);
    expect((await resumeRun(deps, first.runId)).state).toBe('succeeded');
    traffic.applied.length = 0;
    traffic.analyses.length = 0;
    const waiting = await deploy('v2');
    expect(waiting.state).toBe('waiting');
    expect(traffic.applied.map((w) => w.at(-1))).toEqual(['green-h2=10', 'green-h2=50']);
    expect(traffic.analyses).toEqual(['errors']);
    await approve(waiting.runId);
    expect((await resumeRun(deps, waiting.runId)).state).toBe('succeeded');
    // From 50% straight on to 80% and 100%: no drop back to 10%, no second analysis.
    expect(traffic.applied.map((w) => w.at(-1))).toEqual([
      'green-h2=10',
      'green-h2=50',
      'green-h2=80',
      'green-h2=100',
    ]);
    expect(traffic.analyses).toEqual(['errors']);
  });

  it('a failed analysis sends traffic back to the old slot, takes the canary down, and ends rolled back', async () => {
    const { store, provider, traffic, deploy } = setup(
      { type: 'canary', steps },
      { errors: ['passed', 'failed'] },
    );
    await deploy('v1');
    traffic.applied.length = 0;
    const outcome = await deploy('v2');
    expect(outcome.state).toBe('rolled_back');
    expect(exitCodeForRunState(outcome.state)).toBe(1);
    expect(outcome.error?.message).toContain('analysis errors: failed (1) > failureLimit (0)');
    expect(traffic.applied).toEqual([
      ['blue-h1=90', 'blue-h2=90', 'green-h1=10', 'green-h2=10'],
      ['blue-h1=100', 'blue-h2=100', 'green-h1=0', 'green-h2=0'],
    ]);
    const restores = provider.calls.filter((c) => c.phase === 'apply' && c.action.kind === 'restore');
    expect(
      restores.map((c) =>
        c.action.kind === 'restore' ? `${c.key}:${c.action.slot}:${c.action.version}` : '',
      ),
    ).toEqual(['api/h1/restore:green:null', 'api/h2/restore:green:null']);
    expect((await store.getTargets('dev')).map((t) => `${t.target}:${t.version}:${t.slot}`)).toEqual([
      'h1:v1:blue',
      'h2:v1:blue',
    ]);
    const [measurement] = await store
      .getEvents({ runId: outcome.runId })
      .then((es) => es.filter((e) => e.type === 'analysis.measurement'));
    expect(measurement?.stepId).toBe('api/-/analysis-errors');
  });
});

describe('blue-green', () => {
  it('waits for a person when promotion is manual; an approval recorded as stores from before hold it (step.approved) switches the router', async () => {
    const { store, traffic, deps, deploy } = setup({ type: 'blue-green', autoPromote: false });
    const first = await deploy('v1');
    expect(first.state).toBe('waiting');
    expect(exitCodeForRunState(first.state)).toBe(4);
    expect(traffic.applied).toEqual([]);
    await store.append([
      {
        type: 'step.approved',
        runId: first.runId,
        stepId: 'api/-/approve',
        at: Date.now(),
        data: { approved: true, actor: 'alice', reason: null },
      },
    ]);
    const resumed = await resumeRun(deps, first.runId);
    expect(resumed.state).toBe('succeeded');
    expect(traffic.applied).toEqual([['blue-h1=100', 'blue-h2=100']]);
    const steps = await store.getSteps(first.runId);
    expect(steps.find((s) => s.stepId === 'api/-/approve')?.note).toBe('approved by alice');
  });

  it('stops the old slot after keepOldFor', async () => {
    const { provider, deploy } = setup({ type: 'blue-green', keepOldFor: '10ms' });
    await deploy('v1');
    expect((await deploy('v2')).state).toBe('succeeded');
    const stops = provider.calls.filter((c) => c.phase === 'apply' && c.action.kind === 'restore');
    // v2 went to green; blue (v1) is taken down on both hosts once the switch is done.
    expect(
      stops.map((c) => (c.action.kind === 'restore' ? `${c.key}:${c.action.slot}:${c.action.version}` : '')),
    ).toEqual(['api/h1/restore:blue:null', 'api/h2/restore:blue:null']);
  });

  it('an inconclusive pre-promotion analysis waits; rejecting it rolls back', async () => {
    const { store, traffic, deps, deploy } = setup(
      { type: 'blue-green', prePromotionAnalysis: ['errors'] },
      { errors: ['passed', 'inconclusive'] },
    );
    await deploy('v1');
    traffic.applied.length = 0;
    const waiting = await deploy('v2');
    expect(waiting.state).toBe('waiting');
    await store.append([
      {
        type: 'step.approved',
        runId: waiting.runId,
        stepId: 'api/-/analysis-errors',
        at: Date.now(),
        data: { approved: false, actor: 'bob', reason: 'too noisy' },
      },
    ]);
    const outcome = await resumeRun(deps, waiting.runId);
    expect(outcome.state).toBe('rolled_back');
    // The router never moved to green; the green slot is taken down.
    expect(traffic.applied).toEqual([]);
    expect((await store.getTargets('dev')).map((t) => `${t.version}:${t.slot}`)).toEqual([
      'v1:blue',
      'v1:blue',
    ]);
  });
});
