/**
 * The RunStore contract for what the events project into: step records (their
 * state machine, attempts and ordering), stored log lines, and the
 * phase-duration medians planning estimates come from (the targets table has
 * store-contract-targets.ts). Called by runStoreContract.
 */
import { describe, expect, it } from 'vitest';
import type { StepRecord } from '../model/run.js';
import type { RunStore } from '../model/store.js';
import { PHASE_SAMPLES_PER_SERVICE } from '../store/projection.js';
import { boom, newRun, step, type WhenHarnessOpens } from './store-contract-fixtures.js';

export function describeStepsAndLogs(whenOpened: WhenHarnessOpens): void {
  let store: RunStore;
  whenOpened((h) => {
    store = h.store;
  });
  const stepOf = async (runId: number, stepId: string): Promise<StepRecord | undefined> =>
    (await store.getSteps(runId)).find((s) => s.stepId === stepId);

  describe('steps', () => {
    it('project started / failed / retrying / succeeded, keeping the first start', async () => {
      const { id } = await store.createRun(newRun());
      const s = 'api/h1/run:migrate';
      await store.append([step(id, s, 10, { type: 'step.started', data: { attempt: 1 } })]);
      expect(await stepOf(id, s)).toEqual({
        runId: id,
        stepId: s,
        state: 'running',
        attempts: 1,
        startedAt: 10,
        endedAt: null,
        durationMs: null,
        error: null,
        note: null,
      });
      await store.append([
        step(id, s, 20, {
          type: 'step.failed',
          data: { attempt: 1, durationMs: 10, error: boom, final: false },
        }),
        step(id, s, 20, { type: 'step.retrying', data: { attempt: 2, delayMs: 500 } }),
      ]);
      expect(await stepOf(id, s)).toMatchObject({
        state: 'running',
        error: boom,
        endedAt: null,
        note: 'retrying in 500ms (attempt 2)',
      });
      await store.append([step(id, s, 520, { type: 'step.started', data: { attempt: 2 } })]);
      expect(await stepOf(id, s)).toMatchObject({
        state: 'running',
        attempts: 2,
        startedAt: 10,
        note: null,
      });
      await store.append([
        step(id, s, 600, { type: 'step.succeeded', data: { attempt: 2, durationMs: 80 } }),
      ]);
      expect(await stepOf(id, s)).toMatchObject({
        state: 'succeeded',
        attempts: 2,
        startedAt: 10,
        endedAt: 600,
        durationMs: 80,
        error: null,
        note: null,
      });
    });

    it('project a final failure, a skip, an interruption and an already-done success', async () => {
      const { id } = await store.createRun(newRun());
      await store.append([
        step(id, 'a/h/x', 10, { type: 'step.started', data: { attempt: 3 } }),
        step(id, 'a/h/x', 30, {
          type: 'step.failed',
          data: { attempt: 3, durationMs: 20, error: boom, final: true },
        }),
        step(id, 'b/h/x', 40, { type: 'step.skipped', data: { reason: 'a failed' } }),
        step(id, 'c/h/x', 50, { type: 'step.started', data: { attempt: 1 } }),
        step(id, 'c/h/x', 60, { type: 'step.interrupted', data: { attempt: 1 } }),
        step(id, 'd/h/x', 70, { type: 'step.started', data: { attempt: 1 } }),
        step(id, 'd/h/x', 75, {
          type: 'step.succeeded',
          data: { attempt: 1, durationMs: 5, alreadyDone: true },
        }),
      ]);
      expect(await stepOf(id, 'a/h/x')).toMatchObject({
        state: 'failed',
        attempts: 3,
        endedAt: 30,
        durationMs: 20,
        error: boom,
      });
      expect(await stepOf(id, 'b/h/x')).toMatchObject({
        state: 'skipped',
        note: 'a failed',
        startedAt: null,
      });
      expect(await stepOf(id, 'c/h/x')).toMatchObject({ state: 'cancelled', note: 'interrupted' });
      expect(await stepOf(id, 'd/h/x')).toMatchObject({ state: 'succeeded', note: 'already done' });
    });

    it('getSteps orders by first start, then step id; never-started steps last', async () => {
      const { id } = await store.createRun(newRun());
      await store.append([
        step(id, 'z/h/x', 10, { type: 'step.started', data: { attempt: 1 } }),
        step(id, 'b/h/x', 20, { type: 'step.started', data: { attempt: 1 } }),
        step(id, 'a/h/x', 20, { type: 'step.started', data: { attempt: 1 } }),
        step(id, 'c/h/x', 5, { type: 'step.skipped', data: { reason: 'upstream' } }),
      ]);
      expect((await store.getSteps(id)).map((s) => s.stepId)).toEqual(['z/h/x', 'a/h/x', 'b/h/x', 'c/h/x']);
      expect(await store.getSteps(id + 1)).toEqual([]);
    });
  });

  it('logs: appended in order, paged by afterId and limit, filtered by step', async () => {
    const { id } = await store.createRun(newRun());
    const line = (stepId: string, n: number) => ({
      runId: id,
      stepId,
      at: n,
      stream: 'stdout' as const,
      line: `l${n}`,
    });
    await store.append([], [line('a', 1), line('b', 2), line('a', 3)]);
    await store.append([], [line('a', 4)]);
    await store.append([], []);
    const all = await store.getLogs({ runId: id });
    expect(all.map((l) => l.line)).toEqual(['l1', 'l2', 'l3', 'l4']);
    expect(all[0]).toEqual({ id: all[0]?.id, runId: id, stepId: 'a', at: 1, stream: 'stdout', line: 'l1' });
    const ids = all.map((l) => l.id);
    expect([...ids].sort((x, y) => x - y)).toEqual(ids);
    expect((await store.getLogs({ runId: id, stepId: 'a' })).map((l) => l.line)).toEqual(['l1', 'l3', 'l4']);
    const page = await store.getLogs({ runId: id, afterId: ids[0], limit: 2 });
    expect(page.map((l) => l.line)).toEqual(['l2', 'l3']);
    expect(await store.getLogs({ runId: id + 1 })).toEqual([]);
  });

  it('append writes events and logs together, or neither', async () => {
    const { id } = await store.createRun(newRun());
    const log = { runId: id, stepId: 'api/h1/upload', at: 2, stream: 'stdout' as const, line: 'copied' };
    const orphan = step(id + 1, 'api/h1/upload', 3, { type: 'step.started', data: { attempt: 1 } });
    await expect(store.append([orphan], [log])).rejects.toMatchObject({ code: 'STORE_ERROR' });
    expect(await store.getLogs({ runId: id })).toEqual([]);
    await store.append([step(id, 'api/h1/upload', 2, { type: 'step.started', data: { attempt: 1 } })], [log]);
    expect((await store.getLogs({ runId: id })).map((l) => l.line)).toEqual(['copied']);
    expect((await store.getSteps(id)).map((s) => s.state)).toEqual(['running']);
  });

  it('phaseDurations: medians by service and phase over the environment’s 10 newest runs', async () => {
    const ok = (runId: number, stepId: string, durationMs: number, alreadyDone = false) =>
      step(runId, stepId, 1, { type: 'step.succeeded', data: { attempt: 1, durationMs, alreadyDone } });
    // Two old runs fall outside the window.
    for (let i = 0; i < 2; i++) {
      const { id } = await store.createRun(newRun('prod'));
      await store.append([ok(id, 'api/h1/upload', 100_000)]);
    }
    for (let i = 1; i <= 10; i++) {
      const { id } = await store.createRun(newRun('prod'));
      const events = [ok(id, 'api/h1/upload', i * 100)];
      if (i >= 8) events.push(ok(id, 'api/h1/run:migrate', [30, 10, 20][i - 8] as number));
      // An even count: the mean of the middle two, rounded (1.5 → 2).
      if (i >= 9) events.push(ok(id, 'api/h2/check', i - 8));
      await store.append(events);
    }
    // The newest run is in the window (it pushes the oldest of the ten out); only real work counts.
    const last = await store.createRun(newRun('prod'));
    await store.append([
      ok(last.id, 'api/h1/upload', 1, true),
      ok(last.id, 'rollback/api/h1/restore', 1),
      ok(last.id, 'api-gw/h1/upload', 1),
      ok(last.id, 'web/h1/upload', 1),
      step(last.id, 'api/h1/health', 1, {
        type: 'step.failed',
        data: { attempt: 1, durationMs: 9, error: boom, final: true },
      }),
    ]);
    const staging = await store.createRun(newRun('staging'));
    await store.append([ok(staging.id, 'api/h1/upload', 7)]);

    // Window: runs 2..10 of the loop (uploads 200..1000) and the last run.
    const services = ['api', 'api-gw', 'web', 'db'];
    expect(await store.phaseDurations('prod', services)).toEqual({
      api: { upload: 600, 'run:migrate': 20, check: 2 },
      'api-gw': { upload: 1 },
      web: { upload: 1 },
    });
    // Only the services asked about.
    expect(await store.phaseDurations('prod', ['web'])).toEqual({ web: { upload: 1 } });
    expect(await store.phaseDurations('staging', services)).toEqual({ api: { upload: 7 } });
    expect(await store.phaseDurations('nowhere', services)).toEqual({});
  });

  it('phaseDurations: a large service is sampled, newest run first, in step-id order', async () => {
    const ok = (runId: number, stepId: string, durationMs: number) =>
      step(runId, stepId, 1, { type: 'step.succeeded', data: { attempt: 1, durationMs } });
    const limit = PHASE_SAMPLES_PER_SERVICE;
    const id = (i: number) => `api/h${String(i).padStart(4, '0')}/upload`;
    // The older run alone would give 5; it is not read once the newest has filled the sample.
    const older = await store.createRun(newRun('prod'));
    await store.append([
      ...Array.from({ length: limit + 1 }, (_, i) => ok(older.id, id(i), 5)),
      ok(older.id, 'web/h0/upload', 5),
    ]);
    // Twice the sample: the first half in id order (h0000…) takes 10 ms, the rest 1000 ms. All
    // steps would give a median of 505, the newest run's in reverse order 1000.
    const newest = await store.createRun(newRun('prod'));
    await store.append(
      Array.from({ length: 2 * limit }, (_, i) => ok(newest.id, id(i), i < limit ? 10 : 1000)),
    );
    expect(await store.phaseDurations('prod', ['api', 'web'])).toEqual({
      api: { upload: 10 },
      web: { upload: 5 },
    });
  });
}
