import { describe, expect, it } from 'vitest';
import { buildPlan, type PlanRequest } from '../plan/index.js';
import { RecordingClock } from '../testing/clock.js';
import { FakeProvider, type Script } from '../testing/fake-provider.js';
import { MemoryStore } from '../testing/memory-store.js';
import { testProject } from '../testing/project.js';
import { rollbackVersions } from './rollback-target.js';
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
