/**
 * How long a plan should take: the critical path of its graph, weighting
 * each step by the median of its phase in earlier runs, or by a default.
 * Concurrency limits are ignored, so this is a lower bound when they bind.
 */
import type { DeliveryStep, PhaseKind, Plan } from '../model/plan.js';
import { BATCH_GATE, buildDeployGraph, SERVICE_STEP, STEP } from './graph.js';

/** Median step duration (ms) by service, then phase id. */
export type PhaseHistory = Record<string, Record<string, number>>;

const DEFAULT_MS: Record<PhaseKind, number> = {
  upload: 200,
  run: 1000,
  switch: 20,
  start: 300,
  health: 1000,
  restore: 500,
};

/** How long a service-level step takes: its pause, its analysis's measurements, a router switch. Approvals count 0. */
function deliveryMs(step: DeliveryStep | undefined): number {
  switch (step?.kind) {
    case 'pause':
    case 'retire':
      return step.ms;
    case 'analysis':
      return step.spec.initialDelay + step.spec.interval * step.spec.count;
    case 'route':
    case 'promote':
      return 200;
    default:
      return 0;
  }
}

export function estimatePlan(plan: Plan, history: PhaseHistory): Plan['estimate'] {
  if (plan.services.length === 0) return null;
  let fromHistory = false;
  const weights = plan.services.map((svc) =>
    svc.phases.map((phase) => {
      const past = history[svc.name]?.[phase.id];
      if (past !== undefined) fromHistory = true;
      return past ?? DEFAULT_MS[phase.kind];
    }),
  );
  const run = buildDeployGraph(plan);
  const finish = run.graph.longestPaths((v) => {
    const s = run.service[v] as number;
    if (run.kind[v] === STEP) return weights[s]?.[run.phase[v] as number] ?? 0;
    if (run.kind[v] === SERVICE_STEP)
      return deliveryMs(plan.services[s]?.delivery?.steps[run.phase[v] as number]);
    return run.kind[v] === BATCH_GATE ? (plan.services[s]?.pauseMs ?? 0) : 0;
  });
  let longest = 0;
  for (const f of finish) if (f > longest) longest = f;
  return { ms: Math.round(longest), basis: fromHistory ? 'history' : 'defaults' };
}
