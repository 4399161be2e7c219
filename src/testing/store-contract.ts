/**
 * The behaviour every RunStore shares (SQLite, PostgreSQL, the in-memory
 * fake). Each implementation runs it from its own test file:
 *
 *   runStoreContract('sqlite', async () => ({ store, cleanup, tamper }));
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SerializedError } from '../model/errors.js';
import type { Plan } from '../model/plan.js';
import type { NewEvent, StepRecord } from '../model/run.js';
import type { LockHolder, NewRun, RunStore } from '../model/store.js';
import { planDigest } from '../store/chain.js';
import { planToJson } from '../store/plan-json.js';

export interface StoreHarness {
  store: RunStore;
  cleanup(): Promise<void>;
  /** Changes the stored log behind the store's back, as someone with database access could. */
  tamper: {
    setEventData(seq: number, data: unknown): Promise<void>;
    deleteEvent(seq: number): Promise<void>;
    /** Replaces a run's stored plan text. */
    setPlan(runId: number, planJson: string): Promise<void>;
  };
}

/** A minimal valid plan for store tests. */
export function storeTestPlan(environment = 'prod'): Plan {
  return {
    format: 1,
    kind: 'deploy',
    environment,
    project: 'shop',
    configDigest: `sha256:${environment}`,
    projectDir: '/srv/shop',
    variables: { REGION: 'eu' },
    services: [],
    unchanged: [{ service: 'db', version: '1.0.0' }],
    limits: { global: 8, environment: null },
    rollbackOnFailure: true,
    estimate: null,
  };
}

const newRun = (environment = 'prod', at = 1000): NewRun => ({
  environment,
  kind: 'deploy',
  actor: 'alice',
  reason: 'release 42',
  plan: storeTestPlan(environment),
  at,
});

const boom: SerializedError = { code: 'COMMAND_FAILED', message: 'exit 1', details: { exitCode: 1 } };

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

export function runStoreContract(name: string, open: () => Promise<StoreHarness>): void {
  describe(`RunStore contract: ${name}`, () => {
    let h: StoreHarness;
    let store: RunStore;
    beforeEach(async () => {
      h = await open();
      store = h.store;
    });
    afterEach(async () => {
      await h.cleanup();
    });

    const step = (runId: number, stepId: string, at: number, e: Omit<NewEvent, 'runId' | 'at'>): NewEvent =>
      ({ ...e, runId, stepId, at }) as NewEvent;
    const stepOf = async (runId: number, stepId: string): Promise<StepRecord | undefined> =>
      (await store.getSteps(runId)).find((s) => s.stepId === stepId);

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
    });

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

    it('target.changed upserts the target of the run environment; a null version deletes it', async () => {
      const prod = await store.createRun(newRun('prod'));
      const dev = await store.createRun(newRun('dev'));
      const change = (runId: number, at: number, service: string, target: string, version: string | null) =>
        ({
          type: 'target.changed',
          runId,
          at,
          data: { service, target, version, previous: '1' },
        }) as NewEvent;
      await store.append([
        change(prod.id, 10, 'web', 'h2', '2'),
        change(prod.id, 11, 'api', 'h1', '2'),
        change(prod.id, 12, 'web', 'h1', '2'),
        change(dev.id, 13, 'api', 'h1', '3'),
      ]);
      expect((await store.getTargets('prod')).map((t) => `${t.service}/${t.target}@${t.version}`)).toEqual([
        'api/h1@2',
        'web/h1@2',
        'web/h2@2',
      ]);
      expect((await store.getTargets()).map((t) => t.environment)).toEqual(['dev', 'prod', 'prod', 'prod']);
      await store.append([change(dev.id, 20, 'api', 'h1', '4'), change(prod.id, 21, 'web', 'h2', null)]);
      expect(await store.getTargets('dev')).toEqual([
        {
          environment: 'dev',
          service: 'api',
          target: 'h1',
          version: '4',
          previous: '1',
          healthy: true,
          slot: null,
          runId: dev.id,
          updatedAt: 20,
        },
      ]);
      expect((await store.getTargets('prod')).map((t) => `${t.service}/${t.target}`)).toEqual([
        'api/h1',
        'web/h1',
      ]);
      await store.append([
        {
          ...change(dev.id, 30, 'api', 'h1', '5'),
          data: { service: 'api', target: 'h1', version: '5', previous: '4', healthy: false },
        } as NewEvent,
      ]);
      expect((await store.getTargets('dev'))[0]).toMatchObject({ version: '5', healthy: false });
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

      it('getEvents pages by afterSeq and limit, optionally for one run', async () => {
        const a = await store.createRun(newRun());
        const b = await store.createRun(newRun());
        const started = (runId: number, n: number) =>
          step(runId, `s/h/${n}`, 100 + n, { type: 'step.started', data: { attempt: 1 } });
        await store.append([started(a.id, 1), started(b.id, 2), started(a.id, 3), started(a.id, 4)]);
        expect((await store.getEvents({})).map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6]);
        expect((await store.getEvents({ afterSeq: 2, limit: 3 })).map((e) => e.seq)).toEqual([3, 4, 5]);
        const ofA = await store.getEvents({ runId: a.id, afterSeq: 1 });
        expect(ofA.map((e) => e.stepId)).toEqual(['s/h/1', 's/h/3', 's/h/4']);
        expect((await store.getEvents({ runId: a.id, afterSeq: 5, limit: 10 })).map((e) => e.seq)).toEqual([
          6,
        ]);
        expect(await store.getEvents({ afterSeq: 6 })).toEqual([]);
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

    it('logs: appended in order, paged by afterId and limit, filtered by step', async () => {
      const { id } = await store.createRun(newRun());
      const line = (stepId: string, n: number) => ({
        runId: id,
        stepId,
        at: n,
        stream: 'stdout' as const,
        line: `l${n}`,
      });
      await store.appendLogs([line('a', 1), line('b', 2), line('a', 3)]);
      await store.appendLogs([line('a', 4)]);
      await store.appendLogs([]);
      const all = await store.getLogs({ runId: id });
      expect(all.map((l) => l.line)).toEqual(['l1', 'l2', 'l3', 'l4']);
      expect(all[0]).toEqual({ id: all[0]?.id, runId: id, stepId: 'a', at: 1, stream: 'stdout', line: 'l1' });
      const ids = all.map((l) => l.id);
      expect([...ids].sort((x, y) => x - y)).toEqual(ids);
      expect((await store.getLogs({ runId: id, stepId: 'a' })).map((l) => l.line)).toEqual([
        'l1',
        'l3',
        'l4',
      ]);
      const page = await store.getLogs({ runId: id, afterId: ids[0], limit: 2 });
      expect(page.map((l) => l.line)).toEqual(['l2', 'l3']);
      expect(await store.getLogs({ runId: id + 1 })).toEqual([]);
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
      expect(await store.phaseDurations('prod')).toEqual({
        api: { upload: 600, 'run:migrate': 20 },
        'api-gw': { upload: 1 },
        web: { upload: 1 },
      });
      expect(await store.phaseDurations('staging')).toEqual({ api: { upload: 7 } });
      expect(await store.phaseDurations('nowhere')).toEqual({});
    });

    describe('locks', () => {
      const holder = (runId: number, extra: Partial<LockHolder> = {}): LockHolder => ({
        runId,
        actor: 'alice',
        pid: process.pid,
        hostname: hostname(),
        ...extra,
      });

      it('a free lock is taken; a held one reports its holder', async () => {
        expect(await store.getLock('prod')).toBeUndefined();
        expect(await store.acquireLock('prod', holder(1), 1000, 5000)).toEqual({ ok: true });
        expect(await store.getLock('prod')).toEqual({
          ...holder(1),
          environment: 'prod',
          acquiredAt: 5000,
          expiresAt: 6000,
        });
        const refused = await store.acquireLock('prod', holder(2, { actor: 'bob' }), 1000, 5500);
        expect(refused).toEqual({ ok: false, holder: await store.getLock('prod') });
        expect(await store.acquireLock('staging', holder(2), 1000, 5500)).toEqual({ ok: true });
      });

      it('an expired lease is taken over; the same run re-enters', async () => {
        await store.acquireLock('prod', holder(1), 1000, 5000);
        expect(await store.acquireLock('prod', holder(1), 1000, 5500)).toEqual({ ok: true });
        expect((await store.getLock('prod'))?.expiresAt).toBe(6500);
        expect((await store.acquireLock('prod', holder(2), 1000, 6499)).ok).toBe(false);
        expect(await store.acquireLock('prod', holder(2), 1000, 6500)).toEqual({ ok: true });
        expect((await store.getLock('prod'))?.runId).toBe(2);
      });

      it('a dead process on this host loses its lock; one on another host does not', async () => {
        const child = spawnSync(process.execPath, ['-e', '']);
        const deadPid = child.pid as number;
        await store.acquireLock('prod', holder(1, { pid: deadPid }), 60_000, 5000);
        expect(await store.acquireLock('prod', holder(2), 60_000, 5001)).toEqual({ ok: true });
        await store.acquireLock(
          'staging',
          holder(1, { pid: deadPid, hostname: 'elsewhere.invalid' }),
          60_000,
          5000,
        );
        expect((await store.acquireLock('staging', holder(2), 60_000, 5001)).ok).toBe(false);
      });

      it('only the holder renews or releases', async () => {
        await store.acquireLock('prod', holder(1), 1000, 5000);
        expect(await store.renewLock('prod', 2, 1000, 5500)).toBe(false);
        expect(await store.renewLock('prod', 1, 1000, 5500)).toBe(true);
        expect((await store.getLock('prod'))?.expiresAt).toBe(6500);
        expect(await store.renewLock('staging', 1, 1000, 5500)).toBe(false);
        await store.releaseLock('prod', 2);
        expect((await store.getLock('prod'))?.runId).toBe(1);
        await store.releaseLock('prod', 1);
        expect(await store.getLock('prod')).toBeUndefined();
        expect(await store.renewLock('prod', 1, 1000, 5600)).toBe(false);
      });

      it('hands a held lock to another run, keeping its lease', async () => {
        await store.acquireLock('prod', holder(-7), 1000, 5000);
        expect(await store.transferLock('prod', 3, 8)).toBe(false);
        expect(await store.transferLock('staging', -7, 8)).toBe(false);
        expect(await store.transferLock('prod', -7, 8)).toBe(true);
        expect(await store.getLock('prod')).toMatchObject({ runId: 8, acquiredAt: 5000, expiresAt: 6000 });
        expect(await store.renewLock('prod', -7, 1000, 5500)).toBe(false);
        expect(await store.renewLock('prod', 8, 1000, 5500)).toBe(true);
      });
    });

    describe('verifyChain', () => {
      async function history(): Promise<number> {
        const { id } = await store.createRun(newRun());
        await store.append([
          step(id, 'api/h1/upload', 10, { type: 'step.started', data: { attempt: 1 } }),
          step(id, 'api/h1/upload', 20, { type: 'step.succeeded', data: { attempt: 1, durationMs: 10 } }),
          { type: 'run.state', runId: id, at: 30, data: { state: 'succeeded' } },
        ]);
        return id;
      }

      it('passes on an empty and on an intact log', async () => {
        expect(await store.verifyChain()).toEqual({ ok: true, events: 0 });
        await history();
        expect(await store.verifyChain()).toEqual({ ok: true, events: 4 });
      });

      it('finds a modified event', async () => {
        await history();
        await h.tamper.setEventData(3, { attempt: 1, durationMs: 1 });
        const report = await store.verifyChain();
        expect(report.ok).toBe(false);
        expect(report.problem?.seq).toBe(3);
        expect(report.problem?.reason).toMatch(/modified/);
      });

      it('finds a deleted event, in the middle or at the end', async () => {
        await history();
        await h.tamper.deleteEvent(2);
        expect(await store.verifyChain()).toMatchObject({ ok: false, problem: { seq: 3 } });
        await h.tamper.deleteEvent(4);
        await h.tamper.deleteEvent(3);
        const report = await store.verifyChain();
        expect(report).toMatchObject({ ok: false, problem: { seq: 2 } });
        expect(report.problem?.reason).toMatch(/deleted/);
      });

      it('finds a modified plan through the digest its run.created event carries', async () => {
        const id = await history();
        const plan = { ...storeTestPlan('prod'), rollbackOnFailure: false };
        await h.tamper.setPlan(id, JSON.stringify(plan));
        const report = await store.verifyChain();
        expect(report).toMatchObject({ ok: false, problem: { seq: 1 } });
        expect(report.problem?.reason).toMatch(/plan of run \d+ does not match its digest/);
      });

      it('keeps the gap visible after more appends', async () => {
        const id = await history();
        await h.tamper.deleteEvent(4);
        await store.append([{ type: 'run.state', runId: id, at: 40, data: { state: 'running' } }]);
        expect(await store.verifyChain()).toMatchObject({ ok: false, problem: { seq: 5 } });
      });
    });

    it('rejects calls after close with STORE_ERROR', async () => {
      await store.close();
      await expect(store.getRun(1)).rejects.toMatchObject({ code: 'STORE_ERROR' });
    });
  });
}
