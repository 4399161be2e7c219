import { describe, expect, it } from 'vitest';
import type { Plan } from '../model/plan.js';
import { exitCodeForRunState, liveTargetsOf, type StepRecord } from '../model/run.js';
import { buildPlan, type PlanRequest } from '../plan/index.js';
import { RecordingClock } from '../testing/clock.js';
import { FakeProvider, type Script } from '../testing/fake-provider.js';
import { MemoryStore } from '../testing/memory-store.js';
import { appService, testProject } from '../testing/project.js';
import { type RunnerDeps, type RunOptions, resumeRun, startRun as start } from './runs.js';

/** Starts a run of an already made plan; these tests always plan something. */
async function startRun(deps: RunnerDeps, plan: Plan, options: RunOptions = {}) {
  const outcome = await start(deps, plan.environment, async () => plan, options);
  if (outcome === null) throw new Error('nothing to change');
  return outcome;
}

const shop = {
  services: {
    db: appService({ group: 'db', steps: [{ name: 'migrate', run: 'migrate up' }] }),
    api: appService({ needs: ['db'] }),
    worker: appService({ needs: ['api'] }),
    web: appService({ needs: ['api'] }),
  },
  environments: {
    dev: { groups: { db: { hosts: ['db-1'] }, app: { hosts: ['app-1', 'app-2'] } } },
  },
};

function setup(raw: object = shop, scripts: Record<string, Script> = {}, request: Partial<PlanRequest> = {}) {
  const project = testProject(raw);
  const store = new MemoryStore();
  const provider = new FakeProvider(scripts);
  const clock = new RecordingClock();
  const deps: RunnerDeps = {
    store,
    providers: () => provider,
    clock,
    identity: { actor: 'tester', pid: process.pid, hostname: 'test-host' },
    leaseMs: 60_000,
  };
  const plan = (more: Partial<PlanRequest> = {}): Plan =>
    buildPlan(project, { environment: 'dev', version: 'v2', ...request, ...more }, {});
  return { project, store, provider, clock, deps, plan };
}

/** Index of the first/last apply of keys matching a prefix. */
function span(provider: FakeProvider, prefix: string): { first: number; last: number } {
  const applies = provider.calls.filter((c) => c.phase === 'apply' && c.key.startsWith(prefix));
  return { first: Math.min(...applies.map((c) => c.start)), last: Math.max(...applies.map((c) => c.end)) };
}

describe('engine: order and parallelism', () => {
  it('deploys in needs order and runs independent services in parallel', async () => {
    const { deps, provider, plan } = setup();
    const outcome = await startRun(deps, plan());
    expect(outcome.state).toBe('succeeded');
    const db = span(provider, 'db/');
    const api = span(provider, 'api/');
    const worker = span(provider, 'worker/');
    const web = span(provider, 'web/');
    expect(api.first).toBeGreaterThan(db.last);
    expect(worker.first).toBeGreaterThan(api.last);
    expect(web.first).toBeGreaterThan(api.last);
    // worker and web overlap: each starts before the other ends.
    expect(worker.first).toBeLessThan(web.last);
    expect(web.first).toBeLessThan(worker.last);
  });

  it('records every target at its new version', async () => {
    const { deps, store, plan } = setup();
    await startRun(deps, plan());
    const targets = await store.getTargets('dev');
    expect(targets.map((t) => `${t.service}/${t.target}=${t.version}`).sort()).toEqual([
      'api/app-1=v2',
      'api/app-2=v2',
      'db/db-1=v2',
      'web/app-1=v2',
      'web/app-2=v2',
      'worker/app-1=v2',
      'worker/app-2=v2',
    ]);
  });

  it('never runs more steps at once than the run-wide limit', async () => {
    const services = Object.fromEntries(
      Array.from({ length: 10 }, (_, i) => [`s${i}`, { group: 'app', steps: [{ run: 'x' }] }]),
    );
    const raw = { services, environments: { dev: { groups: { app: { hosts: ['h1'] } } } } };
    const { deps, provider, plan } = setup(
      raw,
      Object.fromEntries(Object.keys(services).map((s) => [`${s}/h1/exec`, { delayMs: 20 }])),
    );
    await startRun(deps, plan({ concurrency: 3 }));
    expect(provider.peak).toBe(3);
  });

  it('limits targets of one service by its concurrency', async () => {
    const raw = {
      services: { api: { group: 'app', concurrency: 2, steps: [{ run: 'x' }] } },
      environments: { dev: { groups: { app: { hosts: ['h1', 'h2', 'h3', 'h4', 'h5', 'h6'] } } } },
    };
    const scripts = Object.fromEntries(
      ['h1', 'h2', 'h3', 'h4', 'h5', 'h6'].map((h) => [`api/${h}/exec`, { delayMs: 20 }]),
    );
    const { deps, provider, plan } = setup(raw, scripts);
    await startRun(deps, plan());
    expect(provider.peak).toBe(2);
  });

  it('rolls out batch after batch', async () => {
    const raw = {
      services: { api: { group: 'app', strategy: { type: 'rolling', batchSize: 2 }, steps: [{ run: 'x' }] } },
      environments: { dev: { groups: { app: { hosts: ['h1', 'h2', 'h3', 'h4'] } } } },
    };
    const { deps, provider, plan } = setup(raw);
    await startRun(deps, plan());
    const first = span(provider, 'api/h1');
    const second = span(provider, 'api/h2');
    const third = span(provider, 'api/h3');
    expect(third.first).toBeGreaterThan(Math.max(first.last, second.last));
  });
});

describe('engine: retries and timeouts', () => {
  it('retries a failing step with exponential backoff, then succeeds', async () => {
    const raw = {
      services: {
        api: { group: 'app', steps: [{ run: 'flaky', retry: { attempts: 3, backoff: '10ms', factor: 3 } }] },
      },
      environments: { dev: { groups: { app: { hosts: ['h1'] } } } },
    };
    const { deps, store, clock, plan } = setup(raw, { 'api/h1/exec': { failTimes: 2 } });
    const outcome = await startRun(deps, plan());
    expect(outcome.state).toBe('succeeded');
    expect(clock.sleeps.filter((ms) => ms < 1000)).toEqual([10, 30]);
    const [step] = await store.getSteps(outcome.runId);
    expect(step).toMatchObject({ stepId: 'api/h1/run:run1', state: 'succeeded', attempts: 3 });
  });

  it('does not retry a non-retryable exit status', async () => {
    const raw = {
      services: {
        api: {
          group: 'app',
          steps: [{ run: 'x', retry: { attempts: 5, backoff: '1ms', nonRetryable: ['exit:2'] } }],
        },
      },
      environments: { dev: { groups: { app: { hosts: ['h1'] } } } },
    };
    const { deps, provider, plan } = setup(raw, { 'api/h1/exec': { failTimes: 10, exitCode: 2 } });
    const outcome = await startRun(deps, plan());
    expect(outcome.state).toBe('rolled_back');
    expect(provider.applied().filter((k) => k === 'api/h1/exec')).toHaveLength(1);
  });

  it('fails a step that outlives its timeout with TIMEOUT', async () => {
    const raw = {
      services: { api: { group: 'app', steps: [{ run: 'slow', timeout: '50ms' }] } },
      environments: { dev: { groups: { app: { hosts: ['h1'] } } } },
    };
    const { deps, store, provider, plan } = setup(raw, { 'api/h1/exec': { hang: true } });
    const outcome = await startRun(deps, plan());
    expect(outcome.state).toBe('rolled_back');
    const [step] = await store.getSteps(outcome.runId);
    expect(step?.error?.code).toBe('TIMEOUT');
    expect(provider.calls.find((c) => c.phase === 'apply')?.outcome).toBe('aborted');
  });
});

describe('engine: failure, skip, rollback', () => {
  it('skips what depends on a failure and reports only the root cause', async () => {
    const { deps, store, plan } = setup(shop, {
      'api/app-1/health': { failTimes: Number.POSITIVE_INFINITY, code: 'HEALTH_CHECK_FAILED' },
    });
    const outcome = await startRun(deps, plan());
    const steps = await store.getSteps(outcome.runId);
    const failed = steps.filter((s) => s.state === 'failed').map((s) => s.stepId);
    expect(failed).toEqual(['api/app-1/health']);
    expect(outcome.error?.message).toContain('api/app-1/health failed');
    const skipped = steps.filter((s) => s.state === 'skipped').map((s) => s.stepId);
    expect(skipped).toContain('worker/app-1/upload');
    expect(skipped).toContain('web/app-2/health');
    expect(steps.find((s) => s.stepId === 'worker/app-1/upload')?.note).toBe('upstream failed');
  });

  it('rolls back in reverse needs order, only the targets that changed', async () => {
    // api/app-2 fails at upload, before anything live changed there; api/app-1 changed fully.
    const { deps, store, provider, plan } = setup(shop, {
      'api/app-2/upload': { failTimes: Number.POSITIVE_INFINITY, code: 'PROVIDER_ERROR', delayMs: 30 },
    });
    const outcome = await startRun(deps, plan());
    expect(outcome.state).toBe('rolled_back');
    expect(exitCodeForRunState(outcome.state)).toBe(1);
    const rollbackApplies = provider
      .applied()
      .filter((k) => k.endsWith('/restore') || k.startsWith('db/db-1/exec'));
    expect(rollbackApplies.filter((k) => k.endsWith('/restore'))).toEqual([
      'api/app-1/restore',
      'db/db-1/restore',
    ]);
    const steps = await store.getSteps(outcome.runId);
    expect(steps.filter((s) => s.stepId.startsWith('rollback/')).map((s) => s.stepId)).toEqual([
      'rollback/api/app-1/restore',
      'rollback/db/db-1/restore',
    ]);
    // Live state is back where it was: nothing, since this was the first deploy.
    expect(await store.getTargets('dev')).toEqual([]);
  });

  it('restores the previous version, not nothing, on a later deploy', async () => {
    const { deps, store, project, provider } = setup();
    const first = buildPlan(project, { environment: 'dev', version: 'v1' }, {});
    await startRun(deps, first);
    provider.done.clear();
    const failing = new FakeProvider({ 'web/app-1/start': { failTimes: 1 } });
    const second = buildPlan(project, { environment: 'dev', version: 'v2' }, await store.liveTargets('dev'));
    const outcome = await startRun({ ...deps, providers: () => failing }, second);
    expect(outcome.state).toBe('rolled_back');
    const restores = failing.calls.filter((c) => c.phase === 'apply' && c.action.kind === 'restore');
    expect(restores.every((c) => c.action.kind === 'restore' && c.action.version === 'v1')).toBe(true);
    const versions = new Set((await store.getTargets('dev')).map((t) => t.version));
    expect([...versions]).toEqual(['v1']);
  });

  it('ends rollback_failed (exit 3) when a rollback step fails', async () => {
    const { deps, plan } = setup(shop, {
      'api/app-1/health': { failTimes: Number.POSITIVE_INFINITY },
      'db/db-1/restore': { failTimes: Number.POSITIVE_INFINITY },
    });
    const outcome = await startRun(deps, plan());
    expect(outcome.state).toBe('rollback_failed');
    expect(exitCodeForRunState(outcome.state)).toBe(3);
    expect(outcome.error?.code).toBe('ROLLBACK_FAILED');
  });

  it('leaves targets as they failed with rollback disabled', async () => {
    const { deps, store, provider, plan } = setup(shop, {
      'api/app-1/health': { failTimes: Number.POSITIVE_INFINITY },
    });
    const outcome = await startRun(deps, plan({ rollbackOnFailure: false }));
    expect(outcome.state).toBe('failed');
    expect(provider.applied().some((k) => k.endsWith('/restore'))).toBe(false);
    const targets = await store.getTargets('dev');
    expect(targets.find((t) => t.service === 'db')).toMatchObject({ version: 'v2', healthy: true });
    // api/app-1 was switched and started, then failed its health check: live, but unhealthy.
    expect(targets.find((t) => t.service === 'api' && t.target === 'app-1')).toMatchObject({
      version: 'v2',
      healthy: false,
    });
    // Deploying v2 again redeploys the unhealthy target, not the healthy ones.
    const again = buildPlan(testProject(shop), { environment: 'dev', version: 'v2' }, liveTargetsOf(targets));
    expect(again.services.find((s) => s.name === 'api')?.targets.map((t) => t.host.name)).toContain('app-1');
    expect(again.services.find((s) => s.name === 'db')).toBeUndefined();
  });
});

describe('engine: rolling failure budgets', () => {
  const fleet = (maxFailures: number | string) => ({
    services: {
      api: {
        group: 'app',
        strategy: { type: 'rolling', batchSize: 1, maxFailures },
        artifact: 'build/{{ version }}',
        health: { command: 'check' },
      },
    },
    environments: { dev: { groups: { app: { hosts: ['h1', 'h2', 'h3', 'h4', 'h5'] } } } },
  });

  it('succeeds within the budget, naming the failed host and leaving the others on the new version', async () => {
    const { deps, store, provider, plan } = setup(fleet('20%'), {
      'api/h2/health': { failTimes: Number.POSITIVE_INFINITY },
    });
    const outcome = await startRun(deps, plan());
    expect(outcome.state).toBe('succeeded');
    expect(outcome.warnings?.[0]).toContain('api/h2');
    expect(provider.applied().some((k) => k.endsWith('/restore'))).toBe(false);
    const targets = await store.getTargets('dev');
    expect(targets.map((t) => `${t.target}:${t.version}:${t.healthy}`)).toEqual([
      'h1:v2:true',
      'h2:v2:false',
      'h3:v2:true',
      'h4:v2:true',
      'h5:v2:true',
    ]);
  });

  it('over the budget stops starting hosts and rolls back every host it changed', async () => {
    const { deps, store, provider, plan } = setup(fleet(1), {
      'api/h2/health': { failTimes: Number.POSITIVE_INFINITY },
      'api/h3/health': { failTimes: Number.POSITIVE_INFINITY },
    });
    const outcome = await startRun(deps, plan());
    expect(outcome.state).toBe('rolled_back');
    expect(outcome.error?.message).toContain('api: 2 of 5 targets failed (allowed 1)');
    // h4 and h5 were never started; h1..h3 were changed and are restored.
    expect(provider.applied().filter((k) => k.startsWith('api/h4') || k.startsWith('api/h5'))).toEqual([]);
    expect(
      provider
        .applied()
        .filter((k) => k.endsWith('/restore'))
        .sort(),
    ).toEqual(['api/h1/restore', 'api/h2/restore', 'api/h3/restore']);
    expect(await store.getTargets('dev')).toEqual([]);
  });
});

describe('engine: cancellation and resume', () => {
  it('stops cleanly on cancel, stays resumable, and resume does not repeat finished steps', async () => {
    const raw = {
      services: {
        a: { group: 'app', steps: [{ run: 'one' }] },
        b: { group: 'app', needs: ['a'], steps: [{ run: 'two' }] },
      },
      environments: { dev: { groups: { app: { hosts: ['h1'] } } } },
    };
    const { deps, store, provider, plan } = setup(raw, { 'b/h1/exec': { hang: true } });
    const controller = new AbortController();
    const running = startRun(deps, plan(), { signal: controller.signal });
    while (!provider.calls.some((c) => c.key === 'b/h1/exec')) await new Promise((r) => setTimeout(r, 5));
    controller.abort();
    const outcome = await running;
    expect(outcome.state).toBe('cancelled');
    expect(exitCodeForRunState(outcome.state)).toBe(130);
    expect((await store.getSteps(outcome.runId)).find((s) => s.stepId === 'b/h1/run:run1')?.state).toBe(
      'cancelled',
    );
    expect(await store.getLock('dev')).toBeUndefined();

    const fresh = new FakeProvider();
    const told: string[] = [];
    const observer = {
      onResumed: (steps: readonly StepRecord[]) => told.push(...steps.map((s) => `${s.stepId} ${s.state}`)),
    };
    const resumed = await resumeRun({ ...deps, providers: () => fresh, observer }, outcome.runId);
    expect(resumed.state).toBe('succeeded');
    expect(fresh.applied()).toEqual(['b/h1/exec']);
    // The live view is told what finished before the interruption: no event of this run says so.
    expect(told).toEqual(['a/h1/run:run1 succeeded', 'b/h1/run:run1 cancelled']);
  });

  it('refuses a new run over a crashed one until it is resumed or cancelled; resuming then works', async () => {
    const raw = {
      services: { a: { group: 'app', steps: [{ run: 'one' }] } },
      environments: { dev: { groups: { app: { hosts: ['h1'] } } } },
    };
    const { deps, store, plan } = setup(raw);
    // A run whose process died mid-way: running in the store, its lock holder gone.
    const crashed = await store.createRun({
      environment: 'dev',
      kind: 'deploy',
      actor: 'x',
      reason: null,
      plan: plan(),
      at: 1,
    });
    await store.append([{ type: 'run.state', runId: crashed.id, at: 2, data: { state: 'running' } }]);
    await expect(startRun(deps, plan({ version: 'v3' }))).rejects.toMatchObject({ code: 'RUN_UNFINISHED' });
    expect(await store.getLock('dev')).toBeUndefined();
    expect((await resumeRun(deps, crashed.id)).state).toBe('succeeded');
    expect((await startRun(deps, plan({ version: 'v3' }))).state).toBe('succeeded');
    // A cancelled run does not block new runs, but once a newer run exists it is out of date.
    const stopped = await store.createRun({
      environment: 'dev',
      kind: 'deploy',
      actor: 'x',
      reason: null,
      plan: plan({ version: 'v4' }),
      at: 3,
    });
    await store.append([{ type: 'run.state', runId: stopped.id, at: 4, data: { state: 'cancelled' } }]);
    expect((await startRun(deps, plan({ version: 'v5' }))).state).toBe('succeeded');
    await expect(resumeRun(deps, stopped.id)).rejects.toThrow(/out of date: run #\d+ has run in dev since/);
  });

  it('refuses a second run while the environment is locked', async () => {
    const raw = {
      services: { a: { group: 'app', steps: [{ run: 'one' }] } },
      environments: { dev: { groups: { app: { hosts: ['h1'] } } } },
    };
    const { deps, plan } = setup(raw, { 'a/h1/exec': { delayMs: 50 } });
    const first = startRun(deps, plan());
    await new Promise((r) => setTimeout(r, 10));
    const other = { ...deps, identity: { ...deps.identity, pid: process.pid + 1 } };
    await expect(startRun(other, plan())).rejects.toMatchObject({ code: 'LOCK_HELD' });
    expect((await first).state).toBe('succeeded');
  });
});
