/**
 * A small generic DAG over integer vertex ids 0..size-1. Vertices are just
 * ids; callers keep whatever they mean in arrays of their own. The graph is
 * built once (`addEdge`), then only read.
 */

export class Graph {
  /** deps[v]: vertices v waits for. */
  readonly deps: number[][] = [];
  /** dependents[v]: vertices that wait for v. */
  readonly dependents: number[][] = [];

  constructor(size = 0) {
    for (let i = 0; i < size; i++) this.addVertex();
  }

  get size(): number {
    return this.deps.length;
  }

  addVertex(): number {
    this.deps.push([]);
    this.dependents.push([]);
    return this.deps.length - 1;
  }

  /** `vertex` waits for `dependency`. */
  addEdge(dependency: number, vertex: number): void {
    (this.deps[vertex] as number[]).push(dependency);
    (this.dependents[dependency] as number[]).push(vertex);
  }

  /** A cycle as a path that starts and ends at the same vertex, or null. */
  findCycle(): number[] | null {
    return findCycle(this.size, (v) => this.deps[v] as number[]);
  }

  /** Vertices in an order where each comes after its dependencies; throws on a cycle. */
  topologicalOrder(): number[] {
    const remaining = this.deps.map((d) => d.length);
    const order: number[] = [];
    for (let v = 0; v < this.size; v++) if (remaining[v] === 0) order.push(v);
    for (let i = 0; i < order.length; i++) {
      for (const next of this.dependents[order[i] as number] as number[]) {
        remaining[next] = (remaining[next] as number) - 1;
        if (remaining[next] === 0) order.push(next);
      }
    }
    if (order.length !== this.size) throw new Error('graph has a cycle');
    return order;
  }

  /** Longest path weight ending at each vertex (critical path), given a weight per vertex. */
  longestPaths(weight: (v: number) => number): number[] {
    const finish = new Array<number>(this.size).fill(0);
    for (const v of this.topologicalOrder()) {
      let start = 0;
      for (const d of this.deps[v] as number[]) start = Math.max(start, finish[d] as number);
      finish[v] = start + weight(v);
    }
    return finish;
  }
}

/**
 * Finds a cycle in any graph given as a vertex count and a dependency
 * function. Returns the path `[a, b, …, a]` or null. Iterative, so deep
 * graphs cannot overflow the stack.
 */
export function findCycle(size: number, depsOf: (v: number) => readonly number[]): number[] | null {
  const WHITE = 0;
  const GREY = 1;
  const BLACK = 2;
  const color = new Uint8Array(size);
  for (let root = 0; root < size; root++) {
    if (color[root] !== WHITE) continue;
    const stack: { v: number; next: number }[] = [{ v: root, next: 0 }];
    color[root] = GREY;
    while (stack.length > 0) {
      const frame = stack[stack.length - 1] as { v: number; next: number };
      const deps = depsOf(frame.v);
      if (frame.next >= deps.length) {
        color[frame.v] = BLACK;
        stack.pop();
        continue;
      }
      const d = deps[frame.next++] as number;
      if (color[d] === GREY) {
        // Walk back from frame.v to d through the stack: that is the cycle.
        const path = [d];
        for (let i = stack.length - 1; i >= 0 && (stack[i] as { v: number }).v !== d; i--) {
          path.push((stack[i] as { v: number }).v);
        }
        path.push(d);
        return path.reverse();
      }
      if (color[d] === WHITE) {
        color[d] = GREY;
        stack.push({ v: d, next: 0 });
      }
    }
  }
  return null;
}

/** findCycle for named vertices: returns names, e.g. `['api', 'worker', 'api']`. */
export function findNamedCycle(
  names: readonly string[],
  depsOf: (name: string) => readonly string[],
): string[] | null {
  const index = new Map(names.map((n, i) => [n, i]));
  const cycle = findCycle(names.length, (v) =>
    depsOf(names[v] as string)
      .map((d) => index.get(d))
      .filter((d): d is number => d !== undefined),
  );
  return cycle === null ? null : cycle.map((v) => names[v] as string);
}
