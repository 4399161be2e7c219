import { describe, expect, it } from 'vitest';
import type { Plan } from '../model/plan.js';
import { liveTargetsOf } from '../model/run.js';
import { buildPlan } from '../plan/index.js';
import { RecordingClock } from '../testing/clock.js';
import { FakeProvider } from '../testing/fake-provider.js';
import { MemoryStore } from '../testing/memory-store.js';
import { appService, testProject } from '../testing/project.js';
import { type RunnerDeps, resumeRun, startRun } from './runs.js';

const project = testProject({
  services: { db: appService({ group: 'db' }), api: appService({ needs: ['db'] }) },
  environments: { dev: { groups: { db: { hosts: ['db-1'] }, app: { hosts: ['app-1'] } } } },
});

function setup() {
  const store = new MemoryStore();
  const provider = new FakeProvider();
  const deps: RunnerDeps = {
    store,
    providers: () => provider,
    clock: new RecordingClock(),
    identity: { actor: 'tester', pid: process.pid, hostname: 'test-host' },
    leaseMs: 60_000,
  };
  return { store, provider, deps };
}

/** A plan the engine cannot walk, as a bug would hand it one: a service without its batches. */
function brokenPlan(): Plan {
  const plan = buildPlan(project, { environment: 'dev', version: 'v2' }, {});
  const [first, ...rest] = plan.services;
  return {
    ...plan,
    services: [{ ...(first as Plan['services'][number]), batches: undefined as never }, ...rest],
  };
}

describe('engine: an internal error during a run', () => {
  it('ends the run as failed with the error, releases the lock, and resume does not meet the bug again', async () => {
    const { store, provider, deps } = setup();
    let runId = 0;
    const started = startRun(deps, 'dev', async () => brokenPlan(), {
      onCreated: (id) => {
        runId = id;
      },
    });
    const error = await started.catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'INTERNAL' });
    expect((error as { hint: string }).hint).toContain(
      `Run #${runId} is recorded as failed, not rolled back: \`marshal show ${runId}\``,
    );
    const run = await store.getRun(runId);
    expect(run?.state).toBe('failed');
    expect(run?.error).toMatchObject({ code: 'INTERNAL', message: expect.stringContaining('forEach') });
    expect(await store.getLock('dev')).toBeUndefined();
    // Nothing ran, and nothing was rolled back.
    expect(provider.applied()).toEqual([]);
    await expect(resumeRun(deps, runId)).rejects.toMatchObject({
      code: 'STATE_CONFLICT',
      message: `run #${runId} has ended (failed); there is nothing to resume`,
    });
    // The environment is not held by it: the next deploy plans and runs.
    const live = liveTargetsOf(await store.getTargets('dev'));
    const next = await startRun(deps, 'dev', async () =>
      buildPlan(project, { environment: 'dev', version: 'v2' }, live),
    );
    expect(next?.state).toBe('succeeded');
  });
});
