/**
 * Runs one vertex of a run graph: retries by policy, a deadline per attempt,
 * status first (`isDone`) before every apply, and every state change durable
 * (journal) before the next action.
 */
import type { VisitResult } from '../dag/walk.js';
import type { Clock } from '../model/clock.js';
import { type MarshalError, toMarshalError } from '../model/errors.js';
import type { Phase, Plan, RetryPolicy } from '../model/plan.js';
import type { ProviderRegistry, StepIO } from '../model/provider.js';
import type { NewEvent, StepRecord, TargetChange } from '../model/run.js';
import type { Traffic } from '../model/traffic.js';
import {
  actionFor,
  BATCH_GATE,
  MARK,
  type RunGraph,
  restoreHealthAction,
  SERVICE_STEP,
  STEP,
  targetContext,
} from '../plan/index.js';
import type { FailureBudget } from './budget.js';
import { runDeliveryStep } from './delivery.js';
import type { Journal } from './journal.js';

export interface StepRunnerContext {
  plan: Plan;
  runId: number;
  graph: RunGraph;
  journal: Journal;
  providers: ProviderRegistry;
  clock: Clock;
  /** Aborts on cancellation; never aborts during a rollback. */
  signal: AbortSignal;
  /** Step records from before a resume, by step id. */
  prior: ReadonlyMap<string, StepRecord>;
  /** Failure budgets of rolling services (deploy walk only): gates judge them. */
  budget?: FailureBudget;
  /** Routers and analyses, for blue-green and canary services. */
  traffic?: Traffic;
  /** Filled with the ids of steps that wait for a person. */
  waiting?: Set<string>;
}

export function backoffDelay(policy: RetryPolicy, attempt: number): number {
  return Math.min(policy.maxBackoffMs, policy.backoffMs * policy.factor ** (attempt - 1));
}

export function isRetryable(error: MarshalError, policy: RetryPolicy): boolean {
  if (!error.retryable || policy.nonRetryable.includes(error.code)) return false;
  const exitCode = error.details?.exitCode;
  return !(typeof exitCode === 'number' && policy.nonRetryable.includes(`exit:${exitCode}`));
}

/** Turns what a step threw into the error to record: cancellation and timeouts are named as such. */
function classify(error: unknown, runSignal: AbortSignal, deadline: AbortSignal): MarshalError {
  if (runSignal.aborted) return toMarshalError(runSignal.reason, 'CANCELLED');
  if (deadline.aborted) return toMarshalError(deadline.reason, 'TIMEOUT');
  return toMarshalError(error, 'PROVIDER_ERROR');
}

export function createVisitor(ctx: StepRunnerContext): (v: number) => Promise<VisitResult> | VisitResult {
  const { graph, plan } = ctx;
  const phasesOf = (s: number): Phase[] => {
    const svc = plan.services[s];
    if (!svc) return [];
    return graph.direction === 'deploy' ? svc.phases : svc.rollback;
  };

  /**
   * What is live on v's target: when its first mutating step starts, the target is "changing"
   * (the new version, unhealthy); when its last step succeeds, it is the version this direction
   * leaves there, healthy.
   */
  const targetChange = (v: number, finished: boolean): TargetChange => {
    const svc = plan.services[graph.service[v] as number];
    const target = svc?.targets[graph.target[v] as number];
    const from = target?.from ?? null;
    const to = svc?.to ?? null;
    const rollingBack = graph.direction === 'rollback';
    const data = finished
      ? { version: rollingBack ? from : to, previous: rollingBack ? to : from, healthy: true }
      : { version: to, previous: from, healthy: false };
    return { service: svc?.name ?? '?', target: target?.host.name ?? '?', ...data };
  };

  /** Index of the first phase that changes live state, per service. */
  const firstMutating = plan.services.map((_, s) => phasesOf(s).findIndex((p) => p.mutating));

  async function pause(ms: number): Promise<VisitResult> {
    try {
      await ctx.clock.sleep(ms, ctx.signal);
      return 'ok';
    } catch {
      return 'cancelled';
    }
  }

  async function runStep(v: number): Promise<VisitResult> {
    const s = graph.service[v] as number;
    const svc = plan.services[s];
    const target = svc?.targets[graph.target[v] as number];
    const phase = phasesOf(s)[graph.phase[v] as number];
    if (!svc || !target || !phase) return 'failed';
    const id = graph.stepId(v);
    const now = () => ctx.clock.now();
    const provider = ctx.providers(svc.provider);
    const tctx = targetContext(plan, svc, target);
    let attempt = ctx.prior.get(id)?.attempts ?? 0;
    const maxAttempts = Math.max(phase.retry.attempts, attempt + 1);
    for (;;) {
      attempt++;
      // Blue-green and canary targets change what serves only through the router (engine/delivery.ts).
      const changing = graph.phase[v] === firstMutating[s] && svc.delivery === null;
      await ctx.journal.record({
        type: 'step.started',
        runId: ctx.runId,
        stepId: id,
        at: now(),
        data: changing ? { attempt, target: targetChange(v, false) } : { attempt },
      });
      const started = now();
      const deadline = ctx.clock.deadline(phase.timeoutMs, ctx.signal);
      const signal = deadline.signal;
      const io: StepIO = {
        signal,
        log: (line, stream = 'info') =>
          ctx.journal.log({ runId: ctx.runId, stepId: id, at: now(), stream, line }),
      };
      try {
        const action = actionFor(plan, svc, target, phase, graph.direction);
        const alreadyDone = await provider.isDone(action, tctx, io);
        if (!alreadyDone) await provider.apply(action, tctx, io);
        const check = restoreHealthAction(plan, svc, target, phase);
        if (check) await provider.apply(check, tctx, io);
        deadline.clear();
        const done: NewEvent & { type: 'step.succeeded' } = {
          type: 'step.succeeded',
          runId: ctx.runId,
          stepId: id,
          at: now(),
          data: alreadyDone
            ? { attempt, durationMs: now() - started, alreadyDone }
            : { attempt, durationMs: now() - started },
        };
        if (graph.endsTarget(v) && svc.delivery === null) done.data.target = targetChange(v, true);
        ctx.journal.enqueue(done);
        return 'ok';
      } catch (thrown) {
        deadline.clear();
        const error = classify(thrown, ctx.signal, deadline.signal);
        if (error.code === 'CANCELLED') {
          await ctx.journal.record({
            type: 'step.interrupted',
            runId: ctx.runId,
            stepId: id,
            at: now(),
            data: { attempt },
          });
          return 'cancelled';
        }
        const final = attempt >= maxAttempts || !isRetryable(error, phase.retry);
        const durationMs = now() - started;
        await ctx.journal.record({
          type: 'step.failed',
          runId: ctx.runId,
          stepId: id,
          at: now(),
          data: { attempt, durationMs, error: error.toJSON(), final },
        });
        if (final) return 'failed';
        const delayMs = backoffDelay(phase.retry, attempt);
        await ctx.journal.record({
          type: 'step.retrying',
          runId: ctx.runId,
          stepId: id,
          at: now(),
          data: { attempt, delayMs },
        });
        if ((await pause(delayMs)) === 'cancelled') {
          await ctx.journal.record({
            type: 'step.interrupted',
            runId: ctx.runId,
            stepId: id,
            at: now(),
            data: { attempt },
          });
          return 'cancelled';
        }
      }
    }
  }

  const deliveryCtx = { ...ctx, traffic: ctx.traffic, waiting: ctx.waiting ?? new Set<string>() };
  return (v) => {
    switch (graph.kind[v]) {
      case STEP:
        return runStep(v);
      case MARK:
        ctx.journal.enqueue({
          type: 'target.changed',
          runId: ctx.runId,
          at: ctx.clock.now(),
          data: targetChange(v, true),
        });
        return 'ok';
      case SERVICE_STEP:
        return runDeliveryStep(deliveryCtx, v);
      case BATCH_GATE: {
        if (ctx.budget?.over(graph.service[v] as number)) return 'failed';
        const pauseMs = plan.services[graph.service[v] as number]?.pauseMs ?? 0;
        return pauseMs > 0 ? pause(pauseMs) : 'ok';
      }
      default:
        return ctx.budget?.over(graph.service[v] as number) ? 'failed' : 'ok';
    }
  };
}
