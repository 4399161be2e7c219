/**
 * Runs one vertex of a run graph: a step through engine/task.ts (a target's phase, or a
 * blue-green or canary service's own step); a mark records a target's new version; gates judge
 * failure budgets and wait out a rolling service's pause between batches.
 */
import type { VisitResult } from '../dag/walk.js';
import { serviceTask } from './delivery.js';
import { targetChange, targetTasks } from './target-task.js';
import { runTask, type StepContext, type Task } from './task.js';

export function createVisitor(ctx: StepContext): (v: number) => Promise<VisitResult> | VisitResult {
  const { graph, plan } = ctx;
  const targetTask = targetTasks(ctx);
  const run = (task: Task | undefined) =>
    task === undefined ? 'failed' : runTask(ctx, task, ctx.prior.steps.get(task.id)?.attempts ?? 0);
  const overBudget = (s: number) => ctx.budget?.over(s) === true;

  async function pause(ms: number): Promise<VisitResult> {
    try {
      await ctx.clock.sleep(ms, ctx.signal);
      return 'ok';
    } catch {
      return 'cancelled';
    }
  }

  return (v) => {
    const vertex = graph.vertex(v);
    switch (vertex.kind) {
      case 'step':
        return run(targetTask(v, vertex));
      case 'service-step':
        return run(serviceTask(ctx, v, vertex));
      case 'mark':
        ctx.journal.enqueue({
          type: 'target.changed',
          runId: ctx.runId,
          at: ctx.clock.now(),
          data: targetChange(ctx, vertex, true),
        });
        return 'ok';
      case 'batch-gate': {
        if (overBudget(vertex.service)) return 'failed';
        const pauseMs = plan.services[vertex.service]?.pauseMs ?? 0;
        return pauseMs > 0 ? pause(pauseMs) : 'ok';
      }
      case 'service-gate':
        return overBudget(vertex.service) ? 'failed' : 'ok';
    }
  };
}
