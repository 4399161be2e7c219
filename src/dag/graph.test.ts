import { describe, expect, it } from 'vitest';
import { findNamedCycle, Graph } from './graph.js';

function chain(size: number): Graph {
  const g = new Graph(size);
  for (let v = 1; v < size; v++) g.addEdge(v - 1, v);
  return g;
}

describe('Graph', () => {
  it('orders vertices after their dependencies', () => {
    const g = new Graph(4);
    g.addEdge(2, 0);
    g.addEdge(3, 2);
    g.addEdge(1, 3);
    expect(g.topologicalOrder()).toEqual([1, 3, 2, 0]);
  });

  it('finds no cycle in a deep chain without overflowing the stack', () => {
    expect(chain(200_000).findCycle()).toBeNull();
  });

  it('names a cycle in dependency order', () => {
    const needs: Record<string, string[]> = { db: [], api: ['db', 'worker'], worker: ['api'], web: ['api'] };
    expect(findNamedCycle(Object.keys(needs), (n) => needs[n] ?? [])).toEqual(['api', 'worker', 'api']);
  });

  it("asks for each vertex's dependencies once, however many it has", () => {
    // One service needing 20,000 others: asked once per edge, that was 20,000 lists of 20,000.
    const names = Array.from({ length: 20_001 }, (_, i) => `s${i}`);
    let asked = 0;
    const cycle = findNamedCycle(names, (n) => {
      asked++;
      return n === 's0' ? names.slice(1) : [];
    });
    expect(cycle).toBeNull();
    expect(asked).toBe(names.length);
  });

  it('finds a self-loop', () => {
    expect(findNamedCycle(['a'], () => ['a'])).toEqual(['a', 'a']);
  });

  it('refuses a topological order of a cyclic graph', () => {
    const g = new Graph(2);
    g.addEdge(0, 1);
    g.addEdge(1, 0);
    expect(() => g.topologicalOrder()).toThrow(/cycle/);
  });

  it('computes the critical path', () => {
    const g = new Graph(4);
    g.addEdge(0, 1);
    g.addEdge(0, 2);
    g.addEdge(1, 3);
    g.addEdge(2, 3);
    const weights = [1, 5, 2, 1];
    expect(Array.from(g.longestPaths((v) => weights[v] ?? 0))).toEqual([1, 6, 3, 7]);
  });
});
