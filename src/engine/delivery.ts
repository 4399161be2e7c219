/**
 * The service-level steps of blue-green and canary rollouts: traffic through
 * the router, pauses, approvals, analyses, promotion, and — in a rollback —
 * traffic back to the old slot. Steps that need a person (an approval, an
 * inconclusive analysis) answer `waiting`: the run stops there (exit 4) and
 * `marshal approve` / `reject` continue it.
 */
import type { Clock } from '../model/clock.js';
import { MarshalError, toMarshalError } from '../model/errors.js';
import type { DeliveryStep, Plan, PlannedService } from '../model/plan.js';
import type { ProviderRegistry, Slot, StepIO } from '../model/provider.js';
import type { AnalysisVerdict, NewEvent, StepRecord } from '../model/run.js';
import { templateScope } from '../model/scope.js';
import { render, type TemplateScope } from '../model/template.js';
import type { Backend, Traffic } from '../model/traffic.js';
import { ROUTE_BACK, type RunGraph, slotPort, targetContext } from '../plan/index.js';
import type { Journal } from './journal.js';

export interface DeliveryContext {
  plan: Plan;
  runId: number;
  graph: RunGraph;
  journal: Journal;
  providers: ProviderRegistry;
  traffic: Traffic | undefined;
  clock: Clock;
  signal: AbortSignal;
  prior: ReadonlyMap<string, StepRecord>;
  /** Step ids that answered `waiting`: the run stops and waits for a person. */
  waiting: Set<string>;
}

/** The routers' backends: every target's old slot gets 100 − weight, its new slot `weight`. */
export function backends(plan: Plan, svc: PlannedService, weight: number): Backend[] {
  const delivery = svc.delivery;
  if (delivery === null) return [];
  const out: Backend[] = [];
  for (const target of svc.targets) {
    const add = (slot: Slot, w: number) =>
      out.push({
        name: `${slot}-${target.host.name}`,
        address: target.host.address,
        port: slotPort(plan, svc, target, slot),
        weight: w,
      });
    if (delivery.fromSlot !== null) add(delivery.fromSlot, 100 - weight);
    add(delivery.slot, weight);
  }
  return out;
}

/** Templates of service-level steps (analysis queries) see the service, versions, slot and variables. */
function serviceScope(plan: Plan, svc: PlannedService): TemplateScope {
  const scope = templateScope({
    version: svc.to,
    previous: svc.from,
    service: svc.name,
    environment: plan.environment,
    variables: plan.variables,
    host: { name: '', address: '', root: '', vars: {} },
  });
  scope.slot = svc.delivery?.slot ?? '';
  return scope;
}

function renderAnalysis(spec: Extract<DeliveryStep, { kind: 'analysis' }>['spec'], scope: TemplateScope) {
  return {
    ...spec,
    ...(spec.prometheus
      ? {
          prometheus: {
            address: render(spec.prometheus.address, scope),
            query: render(spec.prometheus.query, scope),
          },
        }
      : {}),
    ...(spec.http ? { http: { ...spec.http, url: render(spec.http.url, scope) } } : {}),
    ...(spec.command !== undefined ? { command: render(spec.command, scope, 'shell') } : {}),
  };
}

/** What a person said about a waiting step, from the records before this (resumed) run. */
function answer(prior: StepRecord | undefined): 'approved' | 'rejected' | null {
  const note = prior?.note ?? '';
  if (note.startsWith('approved by')) return 'approved';
  if (note.startsWith('rejected by')) return 'rejected';
  return null;
}

type Outcome =
  | { ok: true; verdict?: AnalysisVerdict }
  | { ok: false; error: MarshalError; verdict?: AnalysisVerdict }
  | 'waiting';

async function perform(
  ctx: DeliveryContext,
  svc: PlannedService,
  step: DeliveryStep,
  id: string,
  io: StepIO,
): Promise<Outcome> {
  const { plan, runId } = ctx;
  const delivery = svc.delivery;
  if (delivery === null) throw new MarshalError('INTERNAL', `${svc.name} has no delivery`);
  const router = () => {
    if (ctx.traffic === undefined) throw new MarshalError('INTERNAL', 'no traffic routers available');
    return ctx.traffic.router(delivery.router.name, delivery.router.config, plan.projectDir);
  };
  const person = answer(ctx.prior.get(id));
  const targetsNow = (version: string, previous: string | null, slot: Slot): NewEvent[] =>
    svc.targets.map((t) => ({
      type: 'target.changed',
      runId,
      at: ctx.clock.now(),
      data: { service: svc.name, target: t.host.name, version, previous, healthy: true, slot },
    }));
  switch (step.kind) {
    case 'route':
      if (step === ROUTE_BACK) {
        if (delivery.fromSlot === null) {
          io.log('first deploy: there is no old slot to send traffic back to', 'info');
          return { ok: true };
        }
        await router().apply(backends(plan, svc, 0), io);
        ctx.journal.enqueueAll(
          svc.targets.map(
            (t): NewEvent => ({
              type: 'target.changed',
              runId,
              at: ctx.clock.now(),
              data: {
                service: svc.name,
                target: t.host.name,
                version: t.from,
                previous: svc.to,
                healthy: true,
                slot: delivery.fromSlot,
              },
            }),
          ),
        );
        return { ok: true };
      }
      await router().apply(backends(plan, svc, step.weight), io);
      return { ok: true };
    case 'promote':
      await router().apply(backends(plan, svc, 100), io);
      ctx.journal.enqueueAll(targetsNow(svc.to, svc.from, delivery.slot));
      return { ok: true };
    case 'pause':
      await ctx.clock.sleep(step.ms, io.signal);
      return { ok: true };
    case 'approve':
      if (person === 'approved')
        return { ok: true, verdict: { verdict: 'passed', message: ctx.prior.get(id)?.note ?? 'approved' } };
      if (person === 'rejected')
        return { ok: false, error: new MarshalError('RUN_FAILED', `${id} was rejected`) };
      return 'waiting';
    case 'retire':
      await ctx.clock.sleep(step.ms, io.signal);
      if (delivery.fromSlot === null) return { ok: true };
      for (const target of svc.targets) {
        const provider = ctx.providers(svc.provider);
        await provider.apply(
          { kind: 'restore', version: null, keep: 2, process: null, slot: delivery.fromSlot },
          targetContext(plan, svc, target),
          io,
        );
      }
      return { ok: true };
    case 'analysis': {
      if (person === 'approved')
        return { ok: true, verdict: { verdict: 'passed', message: 'inconclusive, approved by a person' } };
      if (person === 'rejected')
        return { ok: false, error: new MarshalError('RUN_FAILED', `${id}: inconclusive, rejected`) };
      if (ctx.traffic === undefined) throw new MarshalError('INTERNAL', 'no analysis runner available');
      const spec = renderAnalysis(step.spec, serviceScope(plan, svc));
      const result = await ctx.traffic.analyze(step.name, spec, io, {
        taken: [],
        onMeasurement: (measurement) =>
          ctx.journal.enqueue({
            type: 'analysis.measurement',
            runId,
            stepId: id,
            at: measurement.at,
            data: { measurement },
          }),
      });
      const verdict = { verdict: result.verdict, message: result.message };
      if (result.verdict === 'passed') return { ok: true, verdict };
      if (result.verdict === 'inconclusive') {
        ctx.journal.enqueue({
          type: 'step.waiting',
          runId,
          stepId: id,
          at: ctx.clock.now(),
          data: { reason: `${result.message}: approve to continue, reject to roll back` },
        });
        return 'waiting';
      }
      return {
        ok: false,
        verdict,
        error: new MarshalError('ANALYSIS_FAILED', `analysis ${step.name}: ${result.message}`),
      };
    }
  }
}

/** Runs one service-level vertex: records its start and outcome like any step. */
export async function runDeliveryStep(
  ctx: DeliveryContext,
  v: number,
): Promise<'ok' | 'failed' | 'cancelled'> {
  const { graph, plan, runId, clock } = ctx;
  const svc = plan.services[graph.service[v] as number];
  const step = graph.direction === 'deploy' ? svc?.delivery?.steps[graph.phase[v] as number] : ROUTE_BACK;
  if (svc === undefined || step === undefined) return 'failed';
  const id = graph.stepId(v);
  const attempt = (ctx.prior.get(id)?.attempts ?? 0) + 1;
  await ctx.journal.record({ type: 'step.started', runId, stepId: id, at: clock.now(), data: { attempt } });
  const started = clock.now();
  const io: StepIO = {
    signal: ctx.signal,
    log: (line, stream = 'info') => ctx.journal.log({ runId, stepId: id, at: clock.now(), stream, line }),
  };
  let outcome: Outcome;
  try {
    outcome = await perform(ctx, svc, step, id, io);
  } catch (thrown) {
    if (ctx.signal.aborted) {
      await ctx.journal.record({
        type: 'step.interrupted',
        runId,
        stepId: id,
        at: clock.now(),
        data: { attempt },
      });
      return 'cancelled';
    }
    outcome = { ok: false, error: toMarshalError(thrown, 'PROVIDER_ERROR') };
  }
  const durationMs = clock.now() - started;
  if (outcome === 'waiting') {
    ctx.waiting.add(id);
    if (step.kind === 'approve') {
      await ctx.journal.record({
        type: 'step.waiting',
        runId,
        stepId: id,
        at: clock.now(),
        data: { reason: `waiting for approval: marshal approve ${runId}` },
      });
    } else {
      await ctx.journal.flush();
    }
    return 'cancelled';
  }
  if (outcome.ok) {
    ctx.journal.enqueue({
      type: 'step.succeeded',
      runId,
      stepId: id,
      at: clock.now(),
      data: outcome.verdict ? { attempt, durationMs, verdict: outcome.verdict } : { attempt, durationMs },
    });
    return 'ok';
  }
  const error = outcome.error.toJSON();
  await ctx.journal.record({
    type: 'step.failed',
    runId,
    stepId: id,
    at: clock.now(),
    data: outcome.verdict
      ? { attempt, durationMs, error, final: true, verdict: outcome.verdict }
      : { attempt, durationMs, error, final: true },
  });
  return 'failed';
}
