import { describe, expect, it } from 'vitest';
import type { TargetGroup } from '../model/run.js';
import { buildPlan, type PlanRequest } from '../plan/index.js';
import { RecordingClock } from '../testing/clock.js';
import { FakeProvider, type Script } from '../testing/fake-provider.js';
import { MemoryStore } from '../testing/memory-store.js';
import { testProject } from '../testing/project.js';
import { liveVersions, rollbackVersions } from './rollback-target.js';
import { type RunnerDeps, startRun } from './runs.js';

const project = testProject({
  services: {
    api: { group: 'app', steps: [{ run: 'deploy api' }] },
    web: { group: 'app', needs: ['api'], steps: [{ run: 'deploy web' }] },
  },
  environments: { dev: { groups: { app: { hosts: ['h1'] } } } },
});

async function history(runs: { request: Partial<PlanRequest>; scripts?: Record<string, Script> }[]) {
  const store = new MemoryStore();
  for (const { request, scripts } of runs) {
    const provider = new FakeProvider(scripts);
    const deps: RunnerDeps = {
      store,
      providers: () => provider,
      clock: new RecordingClock(),
      identity: { actor: 't', pid: process.pid, hostname: 'test' },
      leaseMs: 60_000,
    };
    await startRun(deps, 'dev', async () =>
      buildPlan(project, { environment: 'dev', ...request }, await store.liveTargets('dev')),
    );
  }
  return store;
}

describe('liveVersions', () => {
  const group = (service: string, version: string, healthy = true): TargetGroup => ({
    environment: 'dev',
    service,
    version,
    healthy,
    count: 2,
    targets: null,
    runId: 1,
    updatedAt: 0,
  });

  it('is the version every target of a service runs healthy, else null (mixed or unhealthy)', () => {
    expect(
      liveVersions([group('api', 'v2'), group('db', 'v7', false), group('web', 'v2'), group('web', 'v3')]),
    ).toEqual({ api: 'v2', db: null, web: null });
    expect(liveVersions([group('api', 'v2'), group('api', 'v2', false)])).toEqual({ api: null });
    expect(liveVersions([])).toEqual({});
  });
});

describe('rollbackVersions', () => {
  it('goes back one release when live is the last good one', async () => {
    const store = await history([{ request: { version: 'v1' } }, { request: { version: 'v2' } }]);
    expect(await rollbackVersions(store, 'dev', ['api', 'web'], undefined)).toEqual({ api: 'v1', web: 'v1' });
  });

  it('returns to the last good release, only where a failed run left things changed', async () => {
    const store = await history([
      { request: { version: 'v1' } },
      { request: { version: 'v2' } },
      // api changed, web failed: with rollback disabled, both are left as they failed.
      { request: { version: 'v3', rollbackOnFailure: false }, scripts: { 'web/h1/exec': { failTimes: 1 } } },
    ]);
    expect(await rollbackVersions(store, 'dev', ['api', 'web'], undefined)).toEqual({ api: 'v2', web: 'v2' });
  });

  it('takes --to a version only if a succeeded run deployed it, and --to a run only if it succeeded', async () => {
    const store = await history([
      { request: { version: 'v1' } },
      { request: { version: 'v2' }, scripts: { 'api/h1/exec': { failTimes: 1 } } },
    ]);
    expect(await rollbackVersions(store, 'dev', ['api', 'web'], { version: 'v1' })).toEqual({
      api: 'v1',
      web: 'v1',
    });
    await expect(rollbackVersions(store, 'dev', ['api'], { version: 'v9' })).rejects.toThrow(
      /no succeeded run deployed v9/,
    );
    await expect(rollbackVersions(store, 'dev', ['api'], { run: 2 })).rejects.toMatchObject({
      code: 'ARGUMENT_INVALID',
      hint: expect.stringContaining('marshal history dev'),
    });
    expect(await rollbackVersions(store, 'dev', ['api', 'web'], { run: 1 })).toEqual({
      api: 'v1',
      web: 'v1',
    });
  });
});
