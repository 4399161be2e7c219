/**
 * Failure budgets of rolling services (`maxFailures`). A target whose step
 * fails is a failed target of its service; while a service has no more
 * failed targets than its budget, the rollout goes on (its batch and service
 * gates pass) and the run can still succeed, naming those targets. One more
 * and the service is over budget: nothing new starts, and the run rolls back
 * every target it changed.
 */
import type { Plan } from '../model/plan.js';
import { targetPath } from '../model/step-ref.js';

export class FailureBudget {
  private readonly failed = new Map<number, Set<number>>();

  constructor(private readonly plan: Plan) {}

  /** Whether a failure of this service can be tolerated at all. */
  tolerates(service: number): boolean {
    return (this.plan.services[service]?.maxFailures ?? 0) > 0;
  }

  /** Records that a target failed; returns true when its service is now over budget. */
  fail(service: number, target: number): boolean {
    let targets = this.failed.get(service);
    if (targets === undefined) {
      targets = new Set();
      this.failed.set(service, targets);
    }
    targets.add(target);
    return this.over(service);
  }

  over(service: number): boolean {
    return (this.failed.get(service)?.size ?? 0) > (this.plan.services[service]?.maxFailures ?? 0);
  }

  /** True when some service is over its budget. */
  anyOver(): boolean {
    for (const service of this.failed.keys()) if (this.over(service)) return true;
    return false;
  }

  /** Failed targets within budget, as `service/host`, for the run's summary. */
  tolerated(): string[] {
    const out: string[] = [];
    for (const [s, targets] of this.failed) {
      const svc = this.plan.services[s];
      if (svc === undefined || this.over(s)) continue;
      for (const t of targets) out.push(targetPath(svc.name, svc.targets[t]?.host.name ?? '?'));
    }
    return out;
  }

  /** `api: 3 of 10 targets failed (allowed 2)` for every service over budget. */
  describeOver(): string[] {
    const out: string[] = [];
    for (const [s, targets] of this.failed) {
      const svc = this.plan.services[s];
      if (svc === undefined || !this.over(s)) continue;
      out.push(
        `${svc.name}: ${targets.size} of ${svc.targets.length} targets failed (allowed ${svc.maxFailures})`,
      );
    }
    return out;
  }
}
