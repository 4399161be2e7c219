/**
 * The RunStore contract for runs and the event log: createRun and run.created,
 * the run.state projection (state, error, endedAt), updatedAt bumps, listRuns
 * filtering, and the hash-chained log itself (the documented hash formula,
 * paging by seq, all-or-nothing batches). Called by runStoreContract.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { RESUMED_NOTE } from '../model/run.js';
import type { RunStore } from '../model/store.js';
import { planDigest } from '../store/chain.js';
import { planToJson } from '../store/plan-json.js';
import {
  boom,
  newRun,
  step,
  storeTestPlan,
  storeTestService,
  type WhenHarnessOpens,
} from './store-contract-fixtures.js';

/** Independent of the stores' own code, so the formula itself is pinned. */
function expectedHash(prev: string, fields: Record<string, unknown>): string {
  const sortDeep = (v: unknown): unknown =>
    v === null || typeof v !== 'object'
      ? v
      : Array.isArray(v)
        ? v.map(sortDeep)
        : Object.fromEntries(
            Object.keys(v)
              .sort()
              .map((k) => [k, sortDeep((v as Record<string, unknown>)[k])]),
          );
  return createHash('sha256')
    .update(`${prev}\n${JSON.stringify(sortDeep(fields))}`)
    .digest('hex');
}

export function describeRunsAndEvents(whenOpened: WhenHarnessOpens): void {
  let store: RunStore;
  whenOpened((h) => {
    store = h.store;
  });

  describe('runs', () => {
    it('createRun allocates increasing ids and records run.created', async () => {
      const a = await store.createRun(newRun('prod', 1000));
      const b = await store.createRun(newRun('staging', 2000));
      expect(b.id).toBeGreaterThan(a.id);
      expect(a).toEqual({
        id: a.id,
        environment: 'prod',
        kind: 'deploy',
        state: 'pending',
        actor: 'alice',
        reason: 'release 42',
        configDigest: 'sha256:prod',
        plan: storeTestPlan('prod'),
        createdAt: 1000,
        updatedAt: 1000,
        endedAt: null,
        error: null,
      });
      expect(await store.getRun(a.id)).toEqual(a);
      expect(await store.getRun(b.id + 100)).toBeUndefined();
      const [created] = await store.getEvents({ runId: a.id });
      expect(created).toMatchObject({ seq: 1, runId: a.id, type: 'run.created', at: 1000 });
      expect(created?.data).toEqual({
        environment: 'prod',
        kind: 'deploy',
        actor: 'alice',
        reason: 'release 42',
        configDigest: 'sha256:prod',
        // The plan is stored beside the event; the event carries its digest.
        planDigest: planDigest(planToJson(storeTestPlan('prod'))),
      });
      expect((await store.getRun(a.id))?.plan).toEqual(storeTestPlan('prod'));
    });

    it('run.state sets state and error; endedAt is set when terminal and cleared on resume', async () => {
      const { id } = await store.createRun(newRun());
      await store.append([{ type: 'run.state', runId: id, at: 1100, data: { state: 'running' } }]);
      expect(await store.getRun(id)).toMatchObject({
        state: 'running',
        updatedAt: 1100,
        endedAt: null,
        error: null,
      });
      await store.append([
        { type: 'run.state', runId: id, at: 1200, data: { state: 'failed', error: boom } },
      ]);
      expect(await store.getRun(id)).toMatchObject({
        state: 'failed',
        updatedAt: 1200,
        endedAt: 1200,
        error: boom,
      });
      await store.append([{ type: 'run.state', runId: id, at: 1300, data: { state: 'cancelled' } }]);
      expect(await store.getRun(id)).toMatchObject({ state: 'cancelled', endedAt: 1300, error: null });
      await store.append([
        { type: 'run.state', runId: id, at: 1400, data: { state: 'running', note: 'resumed' } },
      ]);
      expect(await store.getRun(id)).toMatchObject({ state: 'running', updatedAt: 1400, endedAt: null });
    });

    it('getRunSpans: when the run was executed, without the time it lay dead', async () => {
      const { id } = await store.createRun(newRun('prod', 1000));
      await store.append([{ type: 'run.state', runId: id, at: 1005, data: { state: 'running' } }]);
      await store.append([step(id, 'api/h1/upload', 3000, { type: 'step.started', data: { attempt: 1 } })]);
      expect(await store.getRunSpans(id)).toEqual([{ from: 1000, to: 3000, open: true }]);
      await store.append([
        { type: 'run.state', runId: id, at: 9000, data: { state: 'running', note: RESUMED_NOTE } },
        step(id, 'api/h1/upload', 9100, { type: 'step.started', data: { attempt: 2 } }),
        { type: 'run.state', runId: id, at: 9500, data: { state: 'succeeded' } },
      ]);
      expect(await store.getRunSpans(id)).toEqual([
        { from: 1000, to: 3000 },
        { from: 9000, to: 9500 },
      ]);
      expect(await store.getRunSpans(id + 100)).toEqual([]);
    });

    it('every event of a run bumps its updatedAt', async () => {
      const { id } = await store.createRun(newRun('prod', 1000));
      await store.append([step(id, 'api/h1/upload', 1500, { type: 'step.started', data: { attempt: 1 } })]);
      expect((await store.getRun(id))?.updatedAt).toBe(1500);
      const target = { service: 'api', target: 'h1', version: '2', previous: '1' };
      await store.append([{ type: 'target.changed', runId: id, at: 1600, data: target }]);
      expect((await store.getRun(id))?.updatedAt).toBe(1600);
    });

    it('listRuns: newest first, filtered by environment and states, limited', async () => {
      const a = await store.createRun(newRun('prod'));
      const b = await store.createRun(newRun('staging'));
      const c = await store.createRun(newRun('prod'));
      await store.append([{ type: 'run.state', runId: c.id, at: 2000, data: { state: 'succeeded' } }]);
      expect((await store.listRuns()).map((r) => r.id)).toEqual([c.id, b.id, a.id]);
      expect((await store.listRuns({ environment: 'prod' })).map((r) => r.id)).toEqual([c.id, a.id]);
      expect((await store.listRuns({ states: ['pending'] })).map((r) => r.id)).toEqual([b.id, a.id]);
      expect(
        (await store.listRuns({ environment: 'prod', states: ['succeeded', 'failed'] })).map((r) => r.id),
      ).toEqual([c.id]);
      expect((await store.listRuns({ limit: 2 })).map((r) => r.id)).toEqual([c.id, b.id]);
      expect(await store.listRuns({ states: [] })).toEqual([]);
    });

    it('listRuns and getRunSummary give runs without their plans, with the versions they change', async () => {
      const plan = {
        ...storeTestPlan('prod'),
        services: [storeTestService('api', 'v1', 'v2'), storeTestService('web', null, 'v3')],
      };
      const { plan: _, ...record } = await store.createRun({ ...newRun('prod'), plan });
      const summary = {
        ...record,
        changes: [
          { service: 'api', from: 'v1', to: 'v2' },
          { service: 'web', from: null, to: 'v3' },
        ],
        unchanged: [{ service: 'db', version: '1.0.0' }],
      };
      const [listed] = await store.listRuns();
      expect(listed).toStrictEqual(summary);
      expect(await store.getRunSummary(record.id)).toStrictEqual(summary);
      expect(await store.getRunSummary(record.id + 1)).toBeUndefined();
    });
  });

  describe('event log', () => {
    it('chains events from the genesis hash with the documented formula', async () => {
      const { id } = await store.createRun(newRun());
      await store.append([step(id, 'api/h1/upload', 1100, { type: 'step.started', data: { attempt: 1 } })]);
      const [first, second] = await store.getEvents({});
      expect(first?.prevHash).toBe('0'.repeat(64));
      const { seq, runId, type, at, data, hash } = first as NonNullable<typeof first>;
      expect(hash).toBe(expectedHash('0'.repeat(64), { seq, runId, stepId: null, type, at, data }));
      expect(second).toMatchObject({ seq: 2, stepId: 'api/h1/upload', prevHash: hash });
      expect(second?.hash).toBe(
        expectedHash(hash, {
          seq: 2,
          runId,
          stepId: 'api/h1/upload',
          type: 'step.started',
          at: 1100,
          data: { attempt: 1 },
        }),
      );
    });

    it('getEvents pages by afterSeq and limit, optionally for one run or of one type', async () => {
      const a = await store.createRun(newRun());
      const b = await store.createRun(newRun());
      const started = (runId: number, n: number) =>
        step(runId, `s/h/${n}`, 100 + n, { type: 'step.started', data: { attempt: 1 } });
      await store.append([started(a.id, 1), started(b.id, 2), started(a.id, 3), started(a.id, 4)]);
      expect((await store.getEvents({})).map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6]);
      expect((await store.getEvents({ afterSeq: 2, limit: 3 })).map((e) => e.seq)).toEqual([3, 4, 5]);
      const ofA = await store.getEvents({ runId: a.id, afterSeq: 1 });
      expect(ofA.map((e) => e.stepId)).toEqual(['s/h/1', 's/h/3', 's/h/4']);
      expect((await store.getEvents({ runId: a.id, afterSeq: 5, limit: 10 })).map((e) => e.seq)).toEqual([6]);
      expect(await store.getEvents({ afterSeq: 6 })).toEqual([]);
      const createdOfA = await store.getEvents({ runId: a.id, type: 'run.created' });
      expect(createdOfA.map((e) => [e.seq, e.type])).toEqual([[1, 'run.created']]);
      expect((await store.getEvents({ type: 'step.started', limit: 2 })).map((e) => e.seq)).toEqual([3, 4]);
    });

    it('a batch is all or nothing', async () => {
      const { id } = await store.createRun(newRun());
      const good = step(id, 'api/h1/upload', 10, { type: 'step.started', data: { attempt: 1 } });
      const orphan = step(id + 99, 'api/h1/upload', 10, { type: 'step.started', data: { attempt: 1 } });
      await expect(store.append([good, orphan])).rejects.toMatchObject({ code: 'STORE_ERROR' });
      expect(await store.getEvents({})).toHaveLength(1);
      expect(await store.getSteps(id)).toEqual([]);
      expect((await store.getRun(id))?.updatedAt).toBe(1000);
      await store.append([]);
      await store.append([good]);
      expect(await store.verifyChain()).toEqual({ ok: true, events: 2 });
    });
  });
}
