/**
 * The service-level steps of blue-green and canary rollouts, as Tasks that engine/task.ts runs
 * like any step: traffic through the router, pauses, approvals, analyses, promotion, the old
 * slot taken down, and — in a rollback — traffic back to the old slot. A step that needs a
 * person (an approval, an inconclusive analysis) answers `waiting`.
 *
 * Deadlines follow from the service's timeout T (docs/strategies.md): a router step or an
 * approval T; a pause, or the wait before the old slot is taken down, its duration + T; an
 * analysis the longest its own rules let it measure + T. An approval only reads the answer: the
 * wait for a person is the run's, stopped in `waiting`, and no deadline runs while it lasts.
 * Retries follow the service's policy; a verdict (a failed analysis, a rejection) is final.
 */
import { MarshalError } from '../model/errors.js';
import { mostMeasurements } from '../model/measurement.js';
import type { DeliveryStep, PlannedService, PlannedTarget, RetryPolicy } from '../model/plan.js';
import type { Slot, StepIO } from '../model/provider.js';
import { answerNote, type TargetChange } from '../model/run.js';
import type { Measurement } from '../model/traffic.js';
import {
  ROUTE_BACK,
  renderAnalysis,
  retireAction,
  routerBackends,
  targetContext,
  type Vertex,
} from '../plan/index.js';
import type { Applied, StepContext, Task } from './task.js';

/** For plans stored before service-level steps had deadlines: the schema's defaults. */
const DEFAULT_TIMEOUT_MS = 600_000;
const NO_RETRY: RetryPolicy = {
  attempts: 1,
  backoffMs: 1000,
  factor: 2,
  maxBackoffMs: 30_000,
  nonRetryable: [],
};
const DONE: Applied = { outcome: 'done' };

type AnalysisStep = Extract<DeliveryStep, { kind: 'analysis' }>;

function deadlineOf(step: DeliveryStep, timeoutMs: number): number {
  switch (step.kind) {
    case 'pause':
    case 'retire':
      return step.ms + timeoutMs;
    case 'analysis':
      return step.spec.initialDelay + mostMeasurements(step.spec.count) * step.spec.interval + timeoutMs;
    default:
      return timeoutMs;
  }
}

/** Every target of the service now serves `version` from `slot`. */
function serving(
  svc: PlannedService,
  slot: Slot,
  version: (t: PlannedTarget) => string | null,
  previous: string | null,
): TargetChange[] {
  return svc.targets.map((t) => ({
    service: svc.name,
    target: t.host.name,
    version: version(t),
    previous,
    healthy: true,
    slot,
  }));
}

/** The Task of a service-level vertex; undefined when the plan has no such step. */
export function serviceTask(
  ctx: StepContext,
  v: number,
  vertex: Extract<Vertex, { kind: 'service-step' }>,
): Task | undefined {
  const { plan, graph, runId } = ctx;
  const svc = plan.services[vertex.service];
  const delivery = svc?.delivery;
  const step = graph.direction === 'deploy' ? delivery?.steps[vertex.step] : ROUTE_BACK;
  if (!svc || !delivery || !step) return undefined;
  const id = graph.stepId(v);
  const answer = ctx.prior.answers.get(id);
  const timeoutMs = delivery.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const route = async (weight: number, io: StepIO) => {
    if (ctx.traffic === undefined) throw new MarshalError('INTERNAL', 'no traffic routers available');
    const router = ctx.traffic.router(delivery.router.name, delivery.router.config, plan.projectDir);
    await router.apply(routerBackends(plan, svc, weight), io);
  };
  // Measurements already taken count towards the verdict, on a retry or after a resume.
  const taken: Measurement[] = [...(ctx.prior.measurements.get(id) ?? [])];
  const analyze = async (io: StepIO, a: AnalysisStep): Promise<Applied> => {
    if (answer?.decision === 'approved')
      return {
        outcome: 'done',
        verdict: { verdict: 'passed', message: 'inconclusive, approved by a person' },
      };
    if (answer?.decision === 'rejected')
      throw new MarshalError('RUN_FAILED', `${id}: inconclusive, rejected`);
    if (ctx.traffic === undefined) throw new MarshalError('INTERNAL', 'no analysis runner available');
    const result = await ctx.traffic.analyze(a.name, renderAnalysis(plan, svc, a.spec), io, {
      taken,
      onMeasurement: (measurement) => {
        taken.push(measurement);
        ctx.journal.enqueue({
          type: 'analysis.measurement',
          runId,
          stepId: id,
          at: measurement.at,
          data: { measurement },
        });
      },
    });
    const verdict = { verdict: result.verdict, message: result.message };
    if (result.verdict === 'passed') return { outcome: 'done', verdict };
    if (result.verdict === 'inconclusive')
      return { outcome: 'waiting', reason: `${result.message}: approve to continue, reject to roll back` };
    const error = new MarshalError('ANALYSIS_FAILED', `analysis ${a.name}: ${result.message}`);
    return { outcome: 'failed', error, verdict };
  };
  const apply = async (io: StepIO): Promise<Applied> => {
    if (graph.direction === 'rollback') {
      if (delivery.fromSlot === null) {
        io.log('first deploy: there is no old slot to send traffic back to', 'info');
        return DONE;
      }
      await route(0, io);
      return { outcome: 'done', changes: serving(svc, delivery.fromSlot, (t) => t.from, svc.to) };
    }
    switch (step.kind) {
      case 'route':
        await route(step.weight, io);
        return DONE;
      case 'promote':
        await route(100, io);
        return { outcome: 'done', changes: serving(svc, delivery.slot, () => svc.to, svc.from) };
      case 'pause':
        await ctx.clock.sleep(step.ms, io.signal);
        return DONE;
      case 'approve':
        if (answer?.decision === 'approved')
          return { outcome: 'done', verdict: { verdict: 'passed', message: answerNote(answer) } };
        if (answer?.decision === 'rejected') throw new MarshalError('RUN_FAILED', `${id} was rejected`);
        return { outcome: 'waiting', reason: `waiting for approval: marshal approve ${runId}` };
      case 'retire': {
        await ctx.clock.sleep(step.ms, io.signal);
        const action = retireAction(svc);
        if (action === null) return DONE; // a first deploy: there is no old slot
        const provider = ctx.providers(svc.provider);
        for (const target of svc.targets) await provider.apply(action, targetContext(plan, svc, target), io);
        return DONE;
      }
      case 'analysis':
        return analyze(io, step);
    }
  };
  return {
    id,
    timeoutMs: deadlineOf(step, timeoutMs),
    retry: delivery.retry ?? NO_RETRY,
    // A router, a pause, an analysis cannot tell from outside whether they happened: they run.
    status: async () => false,
    apply,
  };
}
