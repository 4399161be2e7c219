/**
 * Walks a Graph once: every vertex runs after its dependencies, as many at a
 * time as the semaphores allow. The walker knows nothing of deploys: the
 * caller's `visit` does the work and says how it went.
 *
 * - A vertex whose dependency failed (or was skipped) is `skipped`, not
 *   failed: only root causes are failures.
 * - A failure or a cancellation stops new vertices from starting; vertices
 *   already running are awaited (a fan-out never abandons a branch).
 * - A vertex that is `waiting` (for a person) holds back only what depends on
 *   it: the rest of the graph goes on, and the walk ends once nothing else can
 *   run. Its dependents are `not-run`, for a later walk.
 */
import type { Graph } from './graph.js';

export type VisitResult = 'ok' | 'failed' | 'cancelled' | 'waiting';
export type VertexOutcome = 'ok' | 'failed' | 'skipped' | 'cancelled' | 'waiting' | 'not-run';

export interface WalkOptions {
  graph: Graph;
  /** Capacity of each semaphore; vertices name the semaphores they hold. */
  capacities: readonly number[];
  /** Semaphores a vertex holds while it runs; an empty list runs without a slot. */
  semaphores(vertex: number): readonly number[];
  /** An outcome already known (a resumed run): the vertex does not run. */
  known?(vertex: number): VertexOutcome | undefined;
  /** True when the vertex still runs after a dependency failed (a gate that judges failures). */
  runsAfterFailure?(vertex: number): boolean;
  /** Does the vertex's work. May return synchronously (gates). Must not throw. */
  visit(vertex: number): Promise<VisitResult> | VisitResult;
  /** Whether a failed vertex stops the walk (default: yes). */
  stopsWalk?(vertex: number): boolean;
  /** Aborting stops new vertices from starting. */
  signal?: AbortSignal;
}

export interface WalkResult {
  outcomes: VertexOutcome[];
  /** True when the walk stopped early (a failure or the signal). */
  stopped: boolean;
}

export function walk(options: WalkOptions): Promise<WalkResult> {
  return new Walker(options).run();
}

class Walker {
  private readonly outcomes: (VertexOutcome | undefined)[];
  private readonly waitingFor: Int32Array;
  private readonly blocked: Uint8Array;
  private readonly ready: number[] = [];
  private readyHead = 0;
  private readonly used: number[];
  private readonly parked: number[][];
  private running = 0;
  private stopping = false;
  private pumping = false;
  private resolve: ((result: WalkResult) => void) | undefined;

  constructor(private readonly o: WalkOptions) {
    const n = o.graph.size;
    this.outcomes = new Array(n);
    this.waitingFor = new Int32Array(n);
    this.blocked = new Uint8Array(n);
    this.used = o.capacities.map(() => 0);
    this.parked = o.capacities.map(() => []);
  }

  run(): Promise<WalkResult> {
    const { graph, known, signal } = this.o;
    const n = graph.size;
    if (known) for (let v = 0; v < n; v++) this.outcomes[v] = known(v);
    const { offset, index } = graph.deps;
    for (let v = 0; v < n; v++) {
      if (this.outcomes[v] !== undefined) continue;
      let waiting = 0;
      for (let e = offset[v] as number; e < (offset[v + 1] as number); e++) {
        const outcome = this.outcomes[index[e] as number];
        if (outcome === undefined) waiting++;
        else if (outcome !== 'ok') this.blocked[v] = 1;
      }
      this.waitingFor[v] = waiting;
    }
    const onAbort = () => this.stop();
    signal?.addEventListener('abort', onAbort, { once: true });
    if (signal?.aborted) this.stopping = true;
    return new Promise<WalkResult>((resolve) => {
      this.resolve = (result) => {
        signal?.removeEventListener('abort', onAbort);
        resolve(result);
      };
      for (let v = 0; v < n; v++) {
        if (this.outcomes[v] === undefined && this.waitingFor[v] === 0) this.settle(v);
      }
      this.pump();
    });
  }

  private stop(): void {
    this.stopping = true;
    this.maybeDone();
  }

  /** All dependencies of v have finished: skip it or queue it. */
  private settle(v: number): void {
    if (this.blocked[v] === 1 && !this.o.runsAfterFailure?.(v)) {
      this.finish(v, 'skipped');
    } else {
      this.ready.push(v);
    }
  }

  /** Records v's outcome and settles what waited only for it; iterative, so long skip chains cannot overflow. */
  private finish(first: number, firstOutcome: VertexOutcome): void {
    const { offset, index } = this.o.graph.dependents;
    const pending: [number, VertexOutcome][] = [[first, firstOutcome]];
    for (let item = pending.pop(); item !== undefined; item = pending.pop()) {
      const [v, outcome] = item;
      this.outcomes[v] = outcome;
      // Work after a cancelled or waiting vertex is not skipped: it runs when the walk resumes.
      if (outcome === 'cancelled' || outcome === 'waiting') continue;
      for (let e = offset[v] as number; e < (offset[v + 1] as number); e++) {
        const next = index[e] as number;
        if (this.outcomes[next] !== undefined) continue;
        if (outcome !== 'ok') this.blocked[next] = 1;
        this.waitingFor[next] = (this.waitingFor[next] as number) - 1;
        if (this.waitingFor[next] !== 0) continue;
        if (this.blocked[next] === 1 && !this.o.runsAfterFailure?.(next)) pending.push([next, 'skipped']);
        else this.ready.push(next);
      }
    }
  }

  private pump(): void {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (!this.stopping && this.readyHead < this.ready.length) {
        const v = this.ready[this.readyHead++] as number;
        if (!this.acquire(v)) continue;
        this.running++;
        let result: Promise<VisitResult> | VisitResult;
        try {
          result = this.o.visit(v);
        } catch {
          result = 'failed';
        }
        if (typeof result === 'string') {
          this.complete(v, result);
        } else {
          result.then(
            (r) => this.onAsyncDone(v, r),
            () => this.onAsyncDone(v, 'failed'),
          );
        }
      }
      if (this.readyHead > 4096 && this.readyHead * 2 > this.ready.length) {
        this.ready.splice(0, this.readyHead);
        this.readyHead = 0;
      }
    } finally {
      this.pumping = false;
    }
    this.maybeDone();
  }

  private onAsyncDone(v: number, result: VisitResult): void {
    this.complete(v, result);
    this.pump();
  }

  /** Takes every semaphore v needs, or parks v behind the first full one. */
  private acquire(v: number): boolean {
    const sems = this.o.semaphores(v);
    for (const s of sems) {
      if ((this.used[s] as number) >= (this.o.capacities[s] as number)) {
        (this.parked[s] as number[]).push(v);
        return false;
      }
    }
    for (const s of sems) this.used[s] = (this.used[s] as number) + 1;
    return true;
  }

  private complete(v: number, result: VisitResult): void {
    this.running--;
    for (const s of this.o.semaphores(v)) {
      this.used[s] = (this.used[s] as number) - 1;
      const waiting = this.parked[s] as number[];
      if (waiting.length > 0) this.ready.push(waiting.shift() as number);
    }
    if (result === 'cancelled') this.stopping = true;
    if (result === 'failed' && (this.o.stopsWalk?.(v) ?? true)) this.stopping = true;
    this.finish(v, result);
  }

  private maybeDone(): void {
    if (this.running > 0 || this.resolve === undefined) return;
    const idle = this.readyHead >= this.ready.length;
    if (!this.stopping && !idle) return;
    const outcomes = this.finalOutcomes();
    const resolve = this.resolve;
    this.resolve = undefined;
    resolve({ outcomes, stopped: this.stopping });
  }

  /** Vertices that never ran: skipped when a dependency failed, otherwise not-run. */
  private finalOutcomes(): VertexOutcome[] {
    const { graph } = this.o;
    const out = this.outcomes;
    let complete = true;
    for (let v = 0; v < out.length && complete; v++) complete = out[v] !== undefined;
    if (complete) return out as VertexOutcome[];
    for (const v of graph.topologicalOrder()) {
      if (out[v] !== undefined) continue;
      let upstreamFailed = false;
      for (let e = graph.deps.offset[v] as number; e < (graph.deps.offset[v + 1] as number); e++) {
        const d = out[graph.deps.index[e] as number];
        if (d === 'failed' || d === 'skipped') upstreamFailed = true;
      }
      out[v] = upstreamFailed ? 'skipped' : 'not-run';
    }
    return out as VertexOutcome[];
  }
}
