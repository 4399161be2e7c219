/**
 * A small generic DAG over integer vertex ids 0..size-1. Vertices are just
 * ids; callers keep whatever they mean in arrays of their own. The graph is
 * built once (`addVertex`, `addEdge`), then only read.
 *
 * Edges are kept compressed (CSR: one offset array and one index array per
 * direction, all Int32Array), because a plan may hold hundreds of thousands
 * of vertices: an array per vertex would cost ~100 bytes each.
 */

/** A growable Int32Array. */
class IntList {
  data = new Int32Array(64);
  length = 0;
  push(value: number): void {
    if (this.length === this.data.length) {
      const bigger = new Int32Array(this.data.length * 2);
      bigger.set(this.data);
      this.data = bigger;
    }
    this.data[this.length++] = value;
  }
}

/** Offsets and indices of one edge direction: neighbours of v are index[offset[v] .. offset[v+1]). */
export interface Adjacency {
  readonly offset: Int32Array;
  readonly index: Int32Array;
}

function compress(size: number, from: IntList, to: IntList): Adjacency {
  const offset = new Int32Array(size + 1);
  for (let e = 0; e < from.length; e++) {
    const slot = (from.data[e] as number) + 1;
    offset[slot] = (offset[slot] as number) + 1;
  }
  for (let v = 0; v < size; v++) offset[v + 1] = (offset[v + 1] as number) + (offset[v] as number);
  const fill = offset.slice(0, size);
  const index = new Int32Array(from.length);
  for (let e = 0; e < from.length; e++) {
    const v = from.data[e] as number;
    const at = fill[v] as number;
    fill[v] = at + 1;
    index[at] = to.data[e] as number;
  }
  return { offset, index };
}

export class Graph {
  private vertices = 0;
  private readonly edgeFrom = new IntList();
  private readonly edgeTo = new IntList();
  private compressed: { deps: Adjacency; dependents: Adjacency } | undefined;

  constructor(size = 0) {
    this.vertices = size;
  }

  get size(): number {
    return this.vertices;
  }

  addVertex(): number {
    this.compressed = undefined;
    return this.vertices++;
  }

  /** `vertex` waits for `dependency`. */
  addEdge(dependency: number, vertex: number): void {
    this.compressed = undefined;
    this.edgeFrom.push(dependency);
    this.edgeTo.push(vertex);
  }

  private adjacency(): { deps: Adjacency; dependents: Adjacency } {
    this.compressed ??= {
      deps: compress(this.vertices, this.edgeTo, this.edgeFrom),
      dependents: compress(this.vertices, this.edgeFrom, this.edgeTo),
    };
    return this.compressed;
  }

  /** Vertices each vertex waits for (CSR). */
  get deps(): Adjacency {
    return this.adjacency().deps;
  }

  /** Vertices that wait for each vertex (CSR). */
  get dependents(): Adjacency {
    return this.adjacency().dependents;
  }

  /** The dependencies of one vertex, as a new array (convenient, not for hot loops). */
  depsOf(v: number): number[] {
    const { offset, index } = this.deps;
    return Array.from(index.subarray(offset[v], offset[v + 1]));
  }

  /** A cycle as a path that starts and ends at the same vertex, or null. */
  findCycle(): number[] | null {
    const { offset, index } = this.deps;
    return findCycle(this.size, (v) => index.subarray(offset[v], offset[v + 1]));
  }

  /** Vertices in an order where each comes after its dependencies; throws on a cycle. */
  topologicalOrder(): number[] {
    const { deps, dependents } = this.adjacency();
    const remaining = new Int32Array(this.size);
    for (let v = 0; v < this.size; v++)
      remaining[v] = (deps.offset[v + 1] as number) - (deps.offset[v] as number);
    const order: number[] = [];
    for (let v = 0; v < this.size; v++) if (remaining[v] === 0) order.push(v);
    for (let i = 0; i < order.length; i++) {
      const v = order[i] as number;
      for (let e = dependents.offset[v] as number; e < (dependents.offset[v + 1] as number); e++) {
        const next = dependents.index[e] as number;
        remaining[next] = (remaining[next] as number) - 1;
        if (remaining[next] === 0) order.push(next);
      }
    }
    if (order.length !== this.size) throw new Error('graph has a cycle');
    return order;
  }

  /** Longest path weight ending at each vertex (critical path), given a weight per vertex. */
  longestPaths(weight: (v: number) => number): Float64Array {
    const { offset, index } = this.deps;
    const finish = new Float64Array(this.size);
    for (const v of this.topologicalOrder()) {
      let start = 0;
      for (let e = offset[v] as number; e < (offset[v + 1] as number); e++) {
        start = Math.max(start, finish[index[e] as number] as number);
      }
      finish[v] = start + weight(v);
    }
    return finish;
  }
}

interface Frame {
  v: number;
  next: number;
  deps: ArrayLike<number>;
}

/**
 * Finds a cycle in any graph given as a vertex count and a dependency
 * function. Returns the path `[a, b, …, a]` or null. Iterative, so deep
 * graphs cannot overflow the stack.
 */
export function findCycle(size: number, depsOf: (v: number) => ArrayLike<number>): number[] | null {
  const WHITE = 0;
  const GREY = 1;
  const BLACK = 2;
  const color = new Uint8Array(size);
  for (let root = 0; root < size; root++) {
    if (color[root] !== WHITE) continue;
    // Each frame keeps its vertex's dependencies: asked for once per vertex, not once per edge.
    const stack: Frame[] = [{ v: root, next: 0, deps: depsOf(root) }];
    color[root] = GREY;
    while (stack.length > 0) {
      const frame = stack[stack.length - 1] as Frame;
      const deps = frame.deps;
      if (frame.next >= deps.length) {
        color[frame.v] = BLACK;
        stack.pop();
        continue;
      }
      const d = deps[frame.next++] as number;
      if (color[d] === GREY) {
        // Walk back from frame.v to d through the stack: that is the cycle.
        const path = [d];
        for (let i = stack.length - 1; i >= 0 && (stack[i] as Frame).v !== d; i--) {
          path.push((stack[i] as Frame).v);
        }
        path.push(d);
        return path.reverse();
      }
      if (color[d] === WHITE) {
        color[d] = GREY;
        stack.push({ v: d, next: 0, deps: depsOf(d) });
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
  const cycle = findCycle(names.length, (v) => {
    const out: number[] = [];
    for (const d of depsOf(names[v] as string)) {
      const i = index.get(d);
      if (i !== undefined) out.push(i);
    }
    return out;
  });
  return cycle === null ? null : cycle.map((v) => names[v] as string);
}
