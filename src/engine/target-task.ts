/**
 * A phase of one target as a Task: its action rendered when it runs (plan/render.ts), status
 * through the provider's `isDone`, then `apply`; and what is live on the target as it changes.
 */
import type { Action } from '../model/provider.js';
import type { TargetChange } from '../model/run.js';
import { actionFor, restoreHealthAction, targetContext, type Vertex } from '../plan/index.js';
import type { StepContext, Task } from './task.js';

type TargetVertex = Extract<Vertex, { kind: 'step' | 'mark' }>;

/**
 * What is live on the target: when its first changing step starts, the new version, unhealthy;
 * when its last step succeeds, the version this direction leaves there, healthy.
 */
export function targetChange(ctx: StepContext, v: TargetVertex, finished: boolean): TargetChange {
  const svc = ctx.plan.services[v.service];
  const target = svc?.targets[v.target];
  const from = target?.from ?? null;
  const to = svc?.to ?? null;
  const rollingBack = ctx.graph.direction === 'rollback';
  const data = finished
    ? { version: rollingBack ? from : to, previous: rollingBack ? to : from, healthy: true }
    : { version: to, previous: from, healthy: false };
  return { service: svc?.name ?? '?', target: target?.host.name ?? '?', ...data };
}

/** The Task of each target step vertex of the walk; undefined when the plan has no such step. */
export function targetTasks(
  ctx: StepContext,
): (v: number, vertex: Extract<Vertex, { kind: 'step' }>) => Task | undefined {
  const { plan, graph } = ctx;
  const phasesOf = (s: number) => {
    const svc = plan.services[s];
    return (graph.direction === 'deploy' ? svc?.phases : svc?.rollback) ?? [];
  };
  // Blue-green and canary targets change what serves only through the router (engine/delivery.ts).
  const firstChanging = plan.services.map((svc, s) =>
    svc.delivery === null ? phasesOf(s).findIndex((p) => p.mutating) : -1,
  );
  return (v, vertex) => {
    const svc = plan.services[vertex.service];
    const target = svc?.targets[vertex.target];
    const phase = phasesOf(vertex.service)[vertex.phase];
    if (!svc || !target || !phase) return undefined;
    const provider = ctx.providers(svc.provider);
    const tctx = targetContext(plan, svc, target);
    let action: Action | undefined;
    const task: Task = {
      id: graph.stepId(v),
      timeoutMs: phase.timeoutMs,
      retry: phase.retry,
      status: (io) => {
        action = actionFor(plan, svc, target, phase, graph.direction);
        return provider.isDone(action, tctx, io);
      },
      apply: async (io) => {
        await provider.apply(action ?? actionFor(plan, svc, target, phase, graph.direction), tctx, io);
        return { outcome: 'done' };
      },
      check: async (io) => {
        const check = restoreHealthAction(plan, svc, target, phase);
        if (check) await provider.apply(check, tctx, io);
      },
    };
    if (vertex.phase === firstChanging[vertex.service]) task.starting = targetChange(ctx, vertex, false);
    if (graph.endsTarget(v) && svc.delivery === null) task.finishing = targetChange(ctx, vertex, true);
    return task;
  };
}
