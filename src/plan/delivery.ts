/**
 * Blue-green and canary: which slot the new version starts in, and the
 * service-level steps (traffic, pauses, approvals, analyses, promotion)
 * that follow once every target runs it. Strategies are step lists: a
 * blue-green rollout is a canary with one step to 100%.
 */
import { MarshalError } from '../model/errors.js';
import type { Delivery, DeliveryStep } from '../model/plan.js';
import type { Slot } from '../model/provider.js';
import type { Config, ServiceConfig } from '../model/schema.js';
import { retryPolicy } from './phases.js';

/** A delivery step before it has an id. */
type StepSpec = DeliveryStep extends infer T ? (T extends DeliveryStep ? Omit<T, 'id'> : never) : never;

function mostCommonSlot(slots: readonly (Slot | null)[]): Slot | null {
  const blue = slots.filter((s) => s === 'blue').length;
  const green = slots.filter((s) => s === 'green').length;
  if (blue === 0 && green === 0) return null;
  return blue >= green ? 'blue' : 'green';
}

/** Unique, readable step ids: `weight-10`, `pause-2`, `analysis-errors`… */
function withIds(steps: StepSpec[], idOf: (s: StepSpec, i: number) => string): DeliveryStep[] {
  const seen = new Map<string, number>();
  return steps.map((step, i) => {
    const base = idOf(step, i);
    const n = (seen.get(base) ?? 0) + 1;
    seen.set(base, n);
    return { ...step, id: n === 1 ? base : `${base}-${n}` } as DeliveryStep;
  });
}

function analysisStep(config: Config, service: string, name: string): StepSpec {
  const spec = config.analyses[name];
  if (spec === undefined) {
    throw new MarshalError(
      'CONFIG_INVALID',
      `service ${service} names analysis "${name}", which is not defined`,
    );
  }
  return { kind: 'analysis', name, spec };
}

/** The delivery of a blue-green or canary service in an environment; null for other strategies. */
export function deliveryOf(
  config: Config,
  environment: string,
  service: string,
  svc: ServiceConfig,
  /** The slot each target serves from now (null: none, or not deployed yet). */
  currentSlots: readonly (Slot | null)[],
): Delivery | null {
  const strategy = svc.strategy;
  if (strategy?.type !== 'blue-green' && strategy?.type !== 'canary') return null;
  const router = config.environments[environment]?.routers[strategy.router];
  if (router === undefined) {
    throw new MarshalError(
      'CONFIG_INVALID',
      `service ${service} routes through "${strategy.router}", which ${environment} does not define`,
      {
        hint: `add environments.${environment}.routers.${strategy.router}`,
      },
    );
  }
  const fromSlot = mostCommonSlot(currentSlots);
  const slot: Slot = fromSlot === 'blue' ? 'green' : 'blue';
  let steps: StepSpec[];
  if (strategy.type === 'blue-green') {
    steps = [
      ...strategy.prePromotionAnalysis.map((name) => analysisStep(config, service, name)),
      ...(strategy.autoPromote ? [] : [{ kind: 'approve' as const }]),
      { kind: 'promote' },
    ];
  } else {
    steps = strategy.steps.map((step): StepSpec => {
      if ('setWeight' in step) return { kind: 'route', weight: step.setWeight };
      if ('analysis' in step) return analysisStep(config, service, step.analysis);
      return step.pause.duration === undefined
        ? { kind: 'approve' }
        : { kind: 'pause', ms: step.pause.duration };
    });
    steps.push({ kind: 'promote' });
  }
  if (strategy.keepOldFor !== undefined) steps.push({ kind: 'retire', ms: strategy.keepOldFor });
  return {
    strategy: strategy.type,
    router: { name: strategy.router, config: router },
    ports: { blue: strategy.slots.blue.port, green: strategy.slots.green.port },
    slot,
    fromSlot,
    steps: withIds(steps, (s, i) => {
      switch (s.kind) {
        case 'route':
          return `weight-${s.weight}`;
        case 'analysis':
          return `analysis-${s.name}`;
        case 'pause':
          return `pause-${i + 1}`;
        case 'approve':
          return 'approve';
        default:
          return s.kind;
      }
    }),
    timeoutMs: svc.timeout ?? config.defaults.timeout,
    retry: retryPolicy(svc.retry ?? config.defaults.retry),
  };
}
