/**
 * What `marshal status --probe` asks of one target: inspect the process that
 * serves the recorded version (its port, its slot), and check its health once.
 * Built from a forced plan of the recorded versions, so the checks are
 * rendered exactly as a deploy of that version renders them. Pure.
 */
import type { Plan, PlannedService, PlannedTarget, Slot } from '../model/plan.js';
import type { Action, InspectSpec } from '../model/provider.js';
import type { HealthCheckConfig } from '../model/schema.js';
import { actionFor } from './render.js';

export interface TargetProbe {
  inspect: InspectSpec;
  /** One probe of each health check; null when the service has none. */
  health: Extract<Action, { kind: 'health' }> | null;
}

/** A check probed once: no delay, one pass or one failure decides. */
function once(check: HealthCheckConfig): HealthCheckConfig {
  return { ...check, initialDelay: 0, successThreshold: 1, failureThreshold: 1 };
}

/**
 * The probe of `target`, which the store records at `version` (serving from `slot` when the
 * service is blue-green or canary).
 */
export function probeOf(
  plan: Plan,
  service: PlannedService,
  target: PlannedTarget,
  version: string,
  slot: Slot | null,
): TargetProbe {
  // The recorded version and the serving slot, as a deploy of them would render.
  const delivery =
    service.delivery === null || slot === null ? service.delivery : { ...service.delivery, slot };
  const as: PlannedService = { ...service, to: version, delivery };
  const start = as.phases.find((p) => p.kind === 'start');
  const health = as.phases.find((p) => p.kind === 'health');
  const started = start === undefined ? null : actionFor(plan, as, target, start, 'deploy');
  const process =
    started?.kind === 'start'
      ? {
          port: started.process.port,
          ...(started.process.slot === undefined ? {} : { slot: started.process.slot }),
        }
      : null;
  const checked = health === undefined ? null : actionFor(plan, as, target, health, 'deploy');
  return {
    inspect: { process },
    health:
      checked?.kind === 'health'
        ? {
            kind: 'health',
            checks: checked.checks.map(once),
            env: checked.env,
            ...(checked.slot === undefined ? {} : { slot: checked.slot }),
          }
        : null,
  };
}
