/**
 * Plan → run graph. One vertex per (service, target, phase), chained per
 * target; a gate vertex per service (its targets are all done) that the
 * services needing it wait for; a gate per batch boundary (rolling). Gates
 * do no I/O. The graph is compact (typed arrays) because a plan may hold
 * hundreds of thousands of steps.
 */
import { Graph } from '../dag/graph.js';
import { append } from '../model/arrays.js';
import type { DeliveryStep, Phase, Plan } from '../model/plan.js';
import { formatStepRef, type StepRef } from '../model/step-ref.js';

/** Vertex kinds. */
export const STEP = 0;
export const SERVICE_GATE = 1;
export const BATCH_GATE = 2;
/** A target with no phases: the vertex only records its new version. */
export const MARK = 3;
/** A service-level step of a blue-green or canary rollout (traffic, analysis, approval…). */
export const SERVICE_STEP = 4;

/** The rollback of a delivery service that moved traffic: send it back to the old slot. */
export const ROUTE_BACK: DeliveryStep = { id: 'route-back', kind: 'route', weight: 0 };

export type Direction = 'deploy' | 'rollback';

/** A vertex as data: what it is, and the indexes into the plan it stands for. */
export type Vertex =
  /** One phase of one target (`api/h1/start`). */
  | { kind: 'step'; service: number; target: number; phase: number }
  /** A service-level step of blue-green or canary (`api/-/weight-10`); `step` indexes its delivery steps. */
  | { kind: 'service-step'; service: number; step: number }
  /** A target with no phases: only its new version is recorded. */
  | { kind: 'mark'; service: number; target: number }
  /** The end of a batch of a rolling service: the next batch waits for it. */
  | { kind: 'batch-gate'; service: number; batch: number }
  /** Every target of a service is done: the services needing it wait for it. */
  | { kind: 'service-gate'; service: number };

export interface RunGraph {
  direction: Direction;
  graph: Graph;
  kind: Uint8Array;
  /** Index into plan.services. */
  service: Int32Array;
  /** Index into the service's targets (batch index for a batch gate, -1 for a service gate). */
  target: Int32Array;
  /** Index into the service's phases (or rollback phases); -1 for gates and marks. */
  phase: Int32Array;
  capacities: number[];
  semaphores(v: number): readonly number[];
  vertex(v: number): Vertex;
  /** The step a step or service-step vertex runs; undefined for gates and marks. */
  ref(v: number): StepRef | undefined;
  /** Persisted id of a step vertex (`api/host-1/switch`); '' for gates. */
  stepId(v: number): string;
  /** Vertex of a persisted step id. */
  vertexOf(id: string): number | undefined;
  /** True when v is the last vertex of its target's chain. */
  endsTarget(v: number): boolean;
}

/** Targets touched by a failed deploy, per service index: the ones rollback must undo. */
export type TouchedTargets = Map<number, number[]>;

class Builder {
  readonly graph = new Graph();
  readonly kind: number[] = [];
  readonly service: number[] = [];
  readonly target: number[] = [];
  readonly phase: number[] = [];

  add(kind: number, service: number, target: number, phase: number, deps: readonly number[]): number {
    const v = this.graph.addVertex();
    this.kind.push(kind);
    this.service.push(service);
    this.target.push(target);
    this.phase.push(phase);
    for (const d of deps) this.graph.addEdge(d, v);
    return v;
  }

  /** A target's chain of phase vertices; returns [first, last]. */
  chain(
    service: number,
    target: number,
    phases: readonly Phase[],
    deps: readonly number[],
  ): [number, number] {
    if (phases.length === 0) {
      const v = this.add(MARK, service, target, -1, deps);
      return [v, v];
    }
    let prev = -1;
    let first = -1;
    for (let p = 0; p < phases.length; p++) {
      const v = this.add(STEP, service, target, p, prev === -1 ? deps : [prev]);
      if (first === -1) first = v;
      prev = v;
    }
    return [first, prev];
  }

  finish(plan: Plan, direction: Direction): RunGraph {
    const capacities = [plan.limits.global];
    const envSem = plan.limits.environment === null ? [] : [capacities.push(plan.limits.environment) - 1];
    const serviceSems = plan.services.map((s) =>
      s.concurrency === null ? [0, ...envSem] : [0, ...envSem, capacities.push(s.concurrency) - 1],
    );
    const kind = Uint8Array.from(this.kind);
    const service = Int32Array.from(this.service);
    const target = Int32Array.from(this.target);
    const phase = Int32Array.from(this.phase);
    const none: readonly number[] = [];
    const phasesOf = (s: number) => {
      const svc = plan.services[s];
      return (direction === 'deploy' ? svc?.phases : svc?.rollback) ?? [];
    };
    const rollback = direction === 'rollback';
    const refOf = (v: number): StepRef | undefined => {
      const svc = plan.services[service[v] as number];
      const name = svc?.name ?? '?';
      if (kind[v] === SERVICE_STEP) {
        const step = rollback ? ROUTE_BACK : svc?.delivery?.steps[phase[v] as number];
        return { service: name, target: null, phase: step?.id ?? '?', rollback };
      }
      if (kind[v] !== STEP) return undefined;
      const host = svc?.targets[target[v] as number]?.host.name ?? '?';
      const ph = phasesOf(service[v] as number)[phase[v] as number];
      return { service: name, target: host, phase: ph?.id ?? '?', rollback };
    };
    const idOf = (v: number): string => {
      const ref = refOf(v);
      return ref === undefined ? '' : formatStepRef(ref);
    };
    const vertex = (v: number): Vertex => {
      const s = service[v] as number;
      switch (kind[v]) {
        case STEP:
          return { kind: 'step', service: s, target: target[v] as number, phase: phase[v] as number };
        case SERVICE_STEP:
          return { kind: 'service-step', service: s, step: phase[v] as number };
        case MARK:
          return { kind: 'mark', service: s, target: target[v] as number };
        case BATCH_GATE:
          return { kind: 'batch-gate', service: s, batch: target[v] as number };
        default:
          return { kind: 'service-gate', service: s };
      }
    };
    let index: Map<string, number> | undefined;
    return {
      direction,
      graph: this.graph,
      kind,
      service,
      target,
      phase,
      capacities,
      semaphores: (v) => (kind[v] === STEP ? (serviceSems[service[v] as number] ?? none) : none),
      vertex,
      ref: refOf,
      stepId: idOf,
      vertexOf: (id) => {
        if (index === undefined) {
          index = new Map();
          for (let v = 0; v < kind.length; v++) {
            if (kind[v] === STEP || kind[v] === SERVICE_STEP) index.set(idOf(v), v);
          }
        }
        return index.get(id);
      },
      endsTarget: (v) =>
        kind[v] === MARK || (kind[v] === STEP && phase[v] === phasesOf(service[v] as number).length - 1),
    };
  }
}

export function buildDeployGraph(plan: Plan): RunGraph {
  const b = new Builder();
  const gateOf = new Map<string, number>();
  plan.services.forEach((svc, s) => {
    const needGates = svc.needs.map((n) => gateOf.get(n)).filter((g): g is number => g !== undefined);
    const lasts: number[] = [];
    let offset = 0;
    let batchGate = -1;
    svc.batches.forEach((size, batch) => {
      const deps = batchGate === -1 ? needGates : [batchGate];
      const batchLasts: number[] = [];
      for (let t = offset; t < offset + size; t++) batchLasts.push(b.chain(s, t, svc.phases, deps)[1]);
      append(lasts, batchLasts);
      offset += size;
      if (batch < svc.batches.length - 1) batchGate = b.add(BATCH_GATE, s, batch, -1, batchLasts);
    });
    // Blue-green and canary: the service-level steps, in order, once every target runs the new slot.
    let tail = lasts;
    (svc.delivery?.steps ?? []).forEach((_step, i) => {
      tail = [b.add(SERVICE_STEP, s, -1, i, tail)];
    });
    gateOf.set(svc.name, b.add(SERVICE_GATE, s, -1, -1, tail));
  });
  return b.finish(plan, 'deploy');
}

/**
 * The rollback graph: touched targets only, in reverse `needs` order — a
 * service is restored after every service that needs it.
 */
export function buildRollbackGraph(
  plan: Plan,
  touched: TouchedTargets,
  routed: ReadonlySet<number> = new Set(),
): RunGraph {
  const b = new Builder();
  const gateOf = new Map<string, number>();
  for (let s = plan.services.length - 1; s >= 0; s--) {
    const svc = plan.services[s];
    const targets = touched.get(s) ?? [];
    if (svc === undefined || (targets.length === 0 && !routed.has(s))) continue;
    const dependentGates = plan.services
      .filter((other) => other.needs.includes(svc.name))
      .map((other) => gateOf.get(other.name))
      .filter((g): g is number => g !== undefined);
    // Traffic goes back to the old slot first; only then is the new one taken down.
    const deps = routed.has(s) ? [b.add(SERVICE_STEP, s, -1, 0, dependentGates)] : dependentGates;
    const lasts = targets.map((t) => b.chain(s, t, svc.rollback, deps)[1]);
    gateOf.set(svc.name, b.add(SERVICE_GATE, s, -1, -1, lasts.length > 0 ? lasts : deps));
  }
  return b.finish(plan, 'rollback');
}
