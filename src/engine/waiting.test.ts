import { describe, expect, it } from 'vitest';
import { exitCodeForRunState, type NewEvent } from '../model/run.js';
import type { Measurement, Traffic } from '../model/traffic.js';
import { type Judged, measureLoop } from '../providers/analysis/index.js';
import { deliverySetup } from '../testing/delivery-setup.js';
import { FakeTraffic } from '../testing/fake-traffic.js';
import { resumeRun } from './runs.js';

describe('a run waiting for a person', () => {
  it('finishes what does not depend on the waiting step, waits, and an approval continues it', async () => {
    // The unrelated service's first step is still running when the canary stops at its pause.
    let paused = () => {};
    const atPause = new Promise<void>((resolve) => {
      paused = resolve;
    });
    const { store, provider, deps, deploy, answer } = deliverySetup({
      strategy: { type: 'canary', steps: [{ setWeight: 10 }, { pause: {} }] },
      others: {
        worker: {
          group: 'other',
          steps: [
            { name: 'one', run: 'x' },
            { name: 'two', run: 'y' },
          ],
        },
      },
      scripts: { 'worker/o1/exec': { until: atPause } },
    });
    const observer = {
      onEvents: (events: readonly NewEvent[]) => {
        if (events.some((e) => e.type === 'step.waiting')) paused();
      },
    };
    const waiting = await deploy('v1', { observer });
    expect(waiting.state).toBe('waiting');
    expect(exitCodeForRunState(waiting.state)).toBe(4);
    const steps = await store.getSteps(waiting.runId);
    const state = (id: string) => steps.find((s) => s.stepId === id)?.state;
    expect([state('worker/o1/run:one'), state('worker/o1/run:two')]).toEqual(['succeeded', 'succeeded']);
    expect(state('api/-/approve')).toBe('waiting');
    expect(state('api/-/promote')).toBeUndefined();
    expect((await store.getTargets('dev')).find((t) => t.service === 'worker')?.version).toBe('v1');

    await answer(waiting.runId, 'api/-/approve', 'approved');
    expect((await resumeRun(deps, waiting.runId)).state).toBe('succeeded');
    // The worker was done: only the canary went on.
    expect(provider.applied().filter((k) => k.startsWith('worker/'))).toEqual([
      'worker/o1/exec',
      'worker/o1/exec',
    ]);
    expect((await store.getSteps(waiting.runId)).find((s) => s.stepId === 'api/-/promote')?.state).toBe(
      'succeeded',
    );
  });

  it('honours an answer even when the run was killed as it went on from the waiting step', async () => {
    const { store, deps, deploy, answer } = deliverySetup({
      strategy: { type: 'blue-green', autoPromote: false },
    });
    const waiting = await deploy('v1');
    await answer(waiting.runId, 'api/-/approve', 'approved', 'looks good');
    // What `marshal approve` left when it was killed just after the step started again.
    await store.append([
      {
        type: 'run.state',
        runId: waiting.runId,
        at: Date.now(),
        data: { state: 'running', note: 'resumed' },
      },
      {
        type: 'step.started',
        runId: waiting.runId,
        stepId: 'api/-/approve',
        at: Date.now(),
        data: { attempt: 2 },
      },
    ]);
    expect((await resumeRun(deps, waiting.runId)).state).toBe('succeeded');
    const step = (await store.getSteps(waiting.runId)).find((s) => s.stepId === 'api/-/approve');
    expect(step?.note).toBe('approved by alice: looks good');
  });

  it('a rejection rolls the run back', async () => {
    const { store, deps, deploy, answer } = deliverySetup({
      strategy: { type: 'blue-green', autoPromote: false },
    });
    const first = await deploy('v1');
    await answer(first.runId, 'api/-/approve', 'approved');
    await resumeRun(deps, first.runId);
    const waiting = await deploy('v2');
    await answer(waiting.runId, 'api/-/approve', 'rejected', 'not today');
    const outcome = await resumeRun(deps, waiting.runId);
    expect(outcome.state).toBe('rolled_back');
    expect(outcome.error?.message).toBe('api/-/approve failed: api/-/approve was rejected');
    const step = (await store.getSteps(waiting.runId)).find((s) => s.stepId === 'api/-/approve');
    expect(step?.state).toBe('failed');
    // The router never left blue; the green slot was taken down.
    expect((await store.getTargets('dev')).map((t) => `${t.version}:${t.slot}`)).toEqual([
      'v1:blue',
      'v1:blue',
    ]);
  });
});

describe('a resumed analysis', () => {
  it('counts on from the measurements taken before the run stopped', async () => {
    const controller = new AbortController();
    const measured: number[] = [];
    // Measurements 1 and 2 succeed; the run is stopped while the third is taken.
    const measure = async (signal: AbortSignal): Promise<Judged> => {
      measured.push(measured.length + 1);
      if (measured.length === 3) {
        controller.abort();
        throw signal.reason;
      }
      return { value: 0, outcome: 'success' };
    };
    const routers = new FakeTraffic();
    const traffic: Traffic = {
      router: () => routers.router(),
      analyze: (name, spec, io, { taken, onMeasurement }) =>
        measureLoop(name, spec, measure, io, { taken, onMeasurement, sleep: async () => {} }),
    };
    const { store, deps, deploy } = deliverySetup({
      strategy: { type: 'canary', steps: [{ analysis: 'errors' }] },
      analysis: { command: 'check', successCondition: 'result == 0', count: 3, interval: '10ms' },
      traffic,
    });
    const stopped = await deploy('v1', {}, { signal: controller.signal });
    expect(stopped.state).toBe('cancelled');
    measured.length = 0;
    expect((await resumeRun(deps, stopped.runId)).state).toBe('succeeded');
    expect(measured).toEqual([1]);
    const step = (await store.getSteps(stopped.runId)).find((s) => s.stepId === 'api/-/analysis-errors');
    expect(step?.note).toBe('passed: 3 of 3 measurements succeeded');
    const kept = (await store.getEvents({ runId: stopped.runId, type: 'analysis.measurement' })).map(
      (e) => (e.data as { measurement: Measurement }).measurement.outcome,
    );
    expect(kept).toEqual(['success', 'success', 'success']);
  });
});
