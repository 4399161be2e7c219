import { describe, expect, it } from 'vitest';
import { Graph } from './graph.js';
import { type VisitResult, walk } from './walk.js';

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Records the order vertices start and end in, and the most running at once. */
function recorder(results: Record<number, VisitResult> = {}) {
  const events: string[] = [];
  let running = 0;
  let peak = 0;
  return {
    events,
    peak: () => peak,
    visit: async (v: number): Promise<VisitResult> => {
      events.push(`start ${v}`);
      running++;
      peak = Math.max(peak, running);
      await tick();
      await tick();
      running--;
      events.push(`end ${v}`);
      return results[v] ?? 'ok';
    },
  };
}

describe('walk', () => {
  it('runs a vertex only after its dependencies and independent branches in parallel', async () => {
    // 0 → 1 → {2, 3}
    const g = new Graph(4);
    g.addEdge(0, 1);
    g.addEdge(1, 2);
    g.addEdge(1, 3);
    const r = recorder();
    const result = await walk({ graph: g, capacities: [8], semaphores: () => [0], visit: r.visit });
    expect(result.outcomes).toEqual(['ok', 'ok', 'ok', 'ok']);
    expect(r.events.slice(0, 4)).toEqual(['start 0', 'end 0', 'start 1', 'end 1']);
    // 2 and 3 overlap: both start before either ends.
    expect(r.events.slice(4, 6).sort()).toEqual(['start 2', 'start 3']);
    expect(r.peak()).toBe(2);
  });

  it('never runs more vertices at once than a semaphore allows', async () => {
    const g = new Graph(20);
    const r = recorder();
    await walk({ graph: g, capacities: [3], semaphores: () => [0], visit: r.visit });
    expect(r.peak()).toBe(3);
    expect(r.events.filter((e) => e.startsWith('end'))).toHaveLength(20);
  });

  it('applies every semaphore a vertex names (global and per group)', async () => {
    const g = new Graph(12);
    const r = recorder();
    // vertices 0..5 in group 1 (capacity 1), the rest only global (capacity 4)
    await walk({
      graph: g,
      capacities: [4, 1],
      semaphores: (v) => (v < 6 ? [0, 1] : [0]),
      visit: async (v) => {
        const res = await r.visit(v);
        return res;
      },
    });
    expect(r.peak()).toBeLessThanOrEqual(4);
    const starts = r.events.map((e, i) => ({ e, i }));
    // group 1 vertices never overlap: each start of 0..5 follows the end of the previous one
    const groupEvents = starts
      .filter(({ e }) => /^(start|end) [0-5]$/.test(e))
      .map(({ e }) => e.split(' ')[0]);
    expect(groupEvents).toEqual(Array.from({ length: 6 }, () => ['start', 'end']).flat());
  });

  it('skips what depends on a failure and reports the failure as the only root cause', async () => {
    // 0 → 1 → 2, 0 → 3
    const g = new Graph(4);
    g.addEdge(0, 1);
    g.addEdge(1, 2);
    g.addEdge(0, 3);
    const r = recorder({ 1: 'failed' });
    const result = await walk({ graph: g, capacities: [1], semaphores: () => [0], visit: r.visit });
    expect(result.outcomes[1]).toBe('failed');
    expect(result.outcomes[2]).toBe('skipped');
    expect(result.outcomes.filter((o) => o === 'failed')).toHaveLength(1);
    expect(result.stopped).toBe(true);
  });

  it('stops starting vertices after a failure but waits for those in flight', async () => {
    const g = new Graph(3);
    let slowEnded = false;
    const result = await walk({
      graph: g,
      capacities: [2],
      semaphores: () => [0],
      visit: async (v) => {
        if (v === 0) return 'failed';
        if (v === 1) {
          await new Promise((resolve) => setTimeout(resolve, 20));
          slowEnded = true;
        }
        return 'ok';
      },
    });
    expect(slowEnded).toBe(true);
    expect(result.outcomes).toEqual(['failed', 'ok', 'not-run']);
  });

  it('keeps going past a failure when told to, running gates that judge failures', async () => {
    // 0, 1 → gate 2 → 3
    const g = new Graph(4);
    g.addEdge(0, 2);
    g.addEdge(1, 2);
    g.addEdge(2, 3);
    const result = await walk({
      graph: g,
      capacities: [4],
      semaphores: (v) => (v === 2 ? [] : [0]),
      stopsWalk: () => false,
      runsAfterFailure: (v) => v === 2,
      visit: (v) => (v === 0 ? 'failed' : 'ok'),
    });
    expect(result.outcomes).toEqual(['failed', 'ok', 'ok', 'ok']);
  });

  it('starts nothing new once the signal aborts, and reports the rest as not run', async () => {
    const g = new Graph(3);
    g.addEdge(0, 1);
    g.addEdge(1, 2);
    const controller = new AbortController();
    const result = await walk({
      graph: g,
      capacities: [1],
      semaphores: () => [0],
      signal: controller.signal,
      visit: async (): Promise<VisitResult> => {
        controller.abort();
        await tick();
        return 'cancelled';
      },
    });
    expect(result.outcomes).toEqual(['cancelled', 'not-run', 'not-run']);
    expect(result.stopped).toBe(true);
  });

  it('holds back only what depends on a waiting vertex: the other branches run to their end', async () => {
    // 0 → 1 → 2 (1 waits for a person); 3 → 4 → 5, unrelated and slower.
    const g = new Graph(6);
    g.addEdge(0, 1);
    g.addEdge(1, 2);
    g.addEdge(3, 4);
    g.addEdge(4, 5);
    const r = recorder({ 1: 'waiting' });
    const result = await walk({ graph: g, capacities: [8], semaphores: () => [0], visit: r.visit });
    expect(result.outcomes).toEqual(['ok', 'waiting', 'not-run', 'ok', 'ok', 'ok']);
    expect(result.stopped).toBe(false);
    expect(r.events).not.toContain('start 2');
  });

  it('does not rerun vertices whose outcome is known (resume)', async () => {
    const g = new Graph(3);
    g.addEdge(0, 1);
    g.addEdge(1, 2);
    const visited: number[] = [];
    const result = await walk({
      graph: g,
      capacities: [1],
      semaphores: () => [0],
      known: (v) => (v === 0 ? 'ok' : undefined),
      visit: (v) => {
        visited.push(v);
        return 'ok';
      },
    });
    expect(visited).toEqual([1, 2]);
    expect(result.outcomes).toEqual(['ok', 'ok', 'ok']);
  });

  it('walks long chains of synchronous vertices without recursion', async () => {
    const size = 100_000;
    const g = new Graph(size);
    for (let v = 1; v < size; v++) g.addEdge(v - 1, v);
    const result = await walk({ graph: g, capacities: [], semaphores: () => [], visit: () => 'ok' });
    expect(result.outcomes.every((o) => o === 'ok')).toBe(true);
  });
});
