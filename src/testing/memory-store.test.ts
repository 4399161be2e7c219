import { describe, expect, it } from 'vitest';
import { MarshalError } from '../model/errors.js';
import { MemoryStore } from './memory-store.js';
import { runStoreContract, storeTestPlan } from './store-contract.js';

runStoreContract('memory', async () => {
  const store = new MemoryStore();
  return {
    store,
    cleanup: () => store.close(),
    tamper: {
      setEventData: async (seq, data) => store.tamperEvent(seq, data),
      deleteEvent: async (seq) => store.deleteEvent(seq),
      setPlan: async (runId, planJson) => store.tamperPlan(runId, planJson),
    },
  };
});

describe('MemoryStore hooks', () => {
  const newRun = {
    environment: 'prod',
    kind: 'deploy',
    actor: 'a',
    reason: null,
    plan: storeTestPlan(),
    at: 1,
  } as const;

  it('failNextAppend rejects the next append and changes nothing', async () => {
    const store = new MemoryStore();
    const { id } = await store.createRun(newRun);
    const error = new MarshalError('STORE_ERROR', 'disk full');
    store.failNextAppend(error);
    const event = { type: 'run.state', runId: id, at: 2, data: { state: 'running' } } as const;
    await expect(store.append([event])).rejects.toBe(error);
    expect((await store.getRun(id))?.state).toBe('pending');
    await store.append([event]);
    expect((await store.getRun(id))?.state).toBe('running');
  });

  it('takes hostname and pid liveness from its options', async () => {
    const store = new MemoryStore({ hostname: 'box', pidAlive: (pid) => pid !== 42 });
    await store.acquireLock('prod', { runId: 1, actor: 'a', pid: 42, hostname: 'box' }, 1000, 0);
    expect(
      await store.acquireLock('prod', { runId: 2, actor: 'b', pid: 7, hostname: 'box' }, 1000, 1),
    ).toEqual({
      ok: true,
    });
    expect(
      (await store.acquireLock('prod', { runId: 3, actor: 'c', pid: 8, hostname: 'box' }, 1000, 2)).ok,
    ).toBe(false);
  });

  it('returns copies, not its own records', async () => {
    const store = new MemoryStore();
    const run = await store.createRun(newRun);
    run.state = 'failed';
    run.plan.variables.X = 'y';
    expect(await store.getRun(run.id)).toMatchObject({ state: 'pending', plan: storeTestPlan() });
  });
});
