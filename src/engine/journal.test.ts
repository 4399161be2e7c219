import { describe, expect, it } from 'vitest';
import type { LogLine, NewEvent } from '../model/run.js';
import type { RunStore } from '../model/store.js';
import { Journal } from './journal.js';

/** A store that only counts what is appended, in how many commits. */
function countingStore() {
  const commits: number[] = [];
  const store = {
    append: async (events: NewEvent[], _logs: LogLine[]) => {
      commits.push(events.length);
    },
  };
  return { store: store as unknown as RunStore, commits };
}

const skipped = (count: number): NewEvent[] =>
  Array.from({ length: count }, (_, i) => ({
    type: 'step.skipped',
    runId: 1,
    stepId: `api/h${i + 1}/run:deploy`,
    at: 0,
    data: { reason: 'upstream failed' },
  }));

describe('journal', () => {
  it("records a failed run's 200,000 skipped steps in one commit", async () => {
    // Passed as arguments (record(...events)), so many overflowed the stack: the run then
    // ended with an internal error instead of rolling back.
    const { store, commits } = countingStore();
    const journal = new Journal(store);
    await journal.recordAll(skipped(200_000));
    expect(commits).toEqual([200_000]);
  });

  it('commits 200,000 enqueued outcomes with the next recorded event', async () => {
    const { store, commits } = countingStore();
    const journal = new Journal(store);
    journal.enqueueAll(skipped(200_000));
    await journal.record({ type: 'run.state', runId: 1, at: 0, data: { state: 'succeeded' } });
    expect(commits).toEqual([200_001]);
    await journal.close();
  });
});
