/**
 * The behaviour every RunStore shares (SQLite, PostgreSQL, the in-memory
 * fake). Each implementation runs it from its own test file:
 *
 *   runStoreContract('sqlite', async () => ({ store, cleanup, tamper }));
 *
 * This is the single entry point: it opens one harness per test and runs the
 * parts, split by area into store-contract-runs.ts (runs, event log),
 * store-contract-steps.ts (steps, logs, phase durations), store-contract-targets.ts,
 * store-contract-locks.ts and store-contract-chain.ts (verifyChain).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RunStore } from '../model/store.js';
import { describeChainVerification } from './store-contract-chain.js';
import type { StoreHarness, WhenHarnessOpens } from './store-contract-fixtures.js';
import { describeLocks } from './store-contract-locks.js';
import { describeRunsAndEvents } from './store-contract-runs.js';
import { describeStepsAndLogs } from './store-contract-steps.js';
import { describeTargets } from './store-contract-targets.js';

export { type StoreHarness, storeTestPlan, storeTestService } from './store-contract-fixtures.js';

export function runStoreContract(name: string, open: () => Promise<StoreHarness>): void {
  describe(`RunStore contract: ${name}`, () => {
    let h: StoreHarness;
    let store: RunStore;
    // Handed each harness in the same hook that opens it, so no part depends on hook order.
    const users: ((harness: StoreHarness) => void)[] = [];
    beforeEach(async () => {
      h = await open();
      store = h.store;
      for (const use of users) use(h);
    });
    afterEach(async () => {
      await h.cleanup();
    });
    const whenOpened: WhenHarnessOpens = (use) => {
      users.push(use);
    };

    describeRunsAndEvents(whenOpened);
    describeStepsAndLogs(whenOpened);
    describeTargets(whenOpened);
    describeLocks(whenOpened);
    describeChainVerification(whenOpened);

    it('rejects calls after close with STORE_ERROR', async () => {
      await store.close();
      await expect(store.getRun(1)).rejects.toMatchObject({ code: 'STORE_ERROR' });
    });
  });
}
