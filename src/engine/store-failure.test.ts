import { describe, expect, it } from 'vitest';
import { MarshalError } from '../model/errors.js';
import type { Action, StepIO, TargetContext } from '../model/provider.js';
import { buildPlan } from '../plan/index.js';
import { RecordingClock } from '../testing/clock.js';
import { FakeProvider } from '../testing/fake-provider.js';
import { MemoryStore } from '../testing/memory-store.js';
import { testProject } from '../testing/project.js';
import { type RunnerDeps, resumeRun, startRun } from './runs.js';

/** A fleet service rolled out one host at a time, tolerating failed hosts, then a service needing it. */
const raw = {
  services: {
    fleet: {
      group: 'app',
      steps: [{ run: 'work' }],
      strategy: { type: 'rolling', batchSize: 1, maxFailures: 3 },
    },
    after: { group: 'app', needs: ['fleet'], steps: [{ run: 'later' }] },
  },
  environments: { dev: { groups: { app: { hosts: ['h1', 'h2', 'h3', 'h4'] } } } },
};

const full = new MarshalError('STORE_ERROR', 'store /x/state.db: no space left on device under /x');

/** A provider whose first apply on h2 breaks the store while the step is in flight. */
class BreaksTheStore extends FakeProvider {
  constructor(private readonly store: MemoryStore) {
    super();
  }

  override async apply(action: Action, target: TargetContext, io: StepIO): Promise<void> {
    if (target.host.name === 'h2' && this.applied().length === 1) this.store.failNextAppend(full);
    return super.apply(action, target, io);
  }
}

function setup() {
  const store = new MemoryStore();
  const provider = new BreaksTheStore(store);
  const deps: RunnerDeps = {
    store,
    providers: () => provider,
    clock: new RecordingClock(),
    identity: { actor: 'tester', pid: process.pid, hostname: 'test-host' },
    leaseMs: 60_000,
  };
  const plan = buildPlan(testProject(raw), { environment: 'dev', version: 'v2' }, {});
  return { store, provider, deps, plan };
}

describe('engine: a store that cannot record', () => {
  it('starts nothing more — even where a failure budget would go on — and leaves the run resumable', async () => {
    const { store, provider, deps, plan } = setup();
    const stopped = await startRun(deps, 'dev', async () => plan).catch((e: unknown) => e);
    expect(stopped).toBe(full);
    // h2's step was in flight and finished; its outcome could not be recorded, so nothing after it ran.
    expect(provider.applied()).toEqual(['fleet/h1/exec', 'fleet/h2/exec']);
    const [run] = await store.listRuns();
    expect(run?.state).toBe('running');
    const steps = new Map((await store.getSteps(run?.id ?? 0)).map((s) => [s.stepId, s.state]));
    expect(steps.get('fleet/h1/run:run1')).toBe('succeeded');
    expect(steps.get('fleet/h2/run:run1')).toBe('running');
    expect(await store.getLock('dev')).toBeUndefined();

    // The store works again: resume does the rest; h1 is not done again.
    const fresh = new FakeProvider();
    const resumed = await resumeRun({ ...deps, providers: () => fresh }, run?.id ?? 0);
    expect(resumed.state).toBe('succeeded');
    expect(fresh.applied().slice(0, 3)).toEqual(['fleet/h2/exec', 'fleet/h3/exec', 'fleet/h4/exec']);
    expect(fresh.applied().slice(3).sort()).toEqual(['h1', 'h2', 'h3', 'h4'].map((h) => `after/${h}/exec`));
  });

  it('stops as interrupted, naming the store, when the lock cannot be renewed', async () => {
    class NoRenewal extends MemoryStore {
      override renewLock(): Promise<boolean> {
        return Promise.reject(full);
      }
    }
    const store = new NoRenewal();
    const provider = new FakeProvider({ 'fleet/h1/exec': { hang: true } });
    const deps: RunnerDeps = {
      store,
      providers: () => provider,
      clock: new RecordingClock(),
      identity: { actor: 'tester', pid: process.pid, hostname: 'test-host' },
      leaseMs: 150,
    };
    const plan = buildPlan(testProject(raw), { environment: 'dev', version: 'v2' }, {});
    const outcome = await startRun(deps, 'dev', async () => plan);
    expect(outcome?.state).toBe('cancelled');
    expect(outcome?.error?.message).toBe(`run #1 stopped: cannot renew the dev lock: ${full.message}`);
  });
});
