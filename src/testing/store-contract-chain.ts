/**
 * The RunStore contract for verifyChain: an intact log passes; a modified or
 * deleted event, or a stored plan that no longer matches the digest in its
 * run.created event, is found, and a gap stays visible after later appends.
 * Tampering goes through the harness, behind the store's back. Called by
 * runStoreContract.
 */
import { describe, expect, it } from 'vitest';
import type { RunStore } from '../model/store.js';
import {
  newRun,
  type StoreHarness,
  step,
  storeTestPlan,
  type WhenHarnessOpens,
} from './store-contract-fixtures.js';

export function describeChainVerification(whenOpened: WhenHarnessOpens): void {
  let h: StoreHarness;
  let store: RunStore;
  whenOpened((opened) => {
    h = opened;
    store = opened.store;
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
}
