/**
 * A service's per-target steps (phases), for a deploy and for its rollback.
 * The order is fixed: upload → run steps → switch → start → health.
 */
import type { Phase, RetryPolicy } from '../model/plan.js';
import type { Config, HealthCheckConfig, RetryPolicyConfig, ServiceConfig } from '../model/schema.js';

export function retryPolicy(config: RetryPolicyConfig): RetryPolicy {
  return {
    attempts: config.attempts,
    backoffMs: config.backoff,
    factor: config.factor,
    maxBackoffMs: config.maxBackoff,
    nonRetryable: config.nonRetryable,
  };
}

export function healthChecksOf(service: ServiceConfig): HealthCheckConfig[] {
  if (service.health === undefined) return [];
  return Array.isArray(service.health) ? service.health : [service.health];
}

export function deployPhases(config: Config, service: ServiceConfig): Phase[] {
  const timeoutMs = service.timeout ?? config.defaults.timeout;
  const retry = retryPolicy(service.retry ?? config.defaults.retry);
  const keepReleases = service.keepReleases ?? config.defaults.keepReleases;
  const phases: Phase[] = [];
  if (service.artifact !== undefined) {
    phases.push({
      id: 'upload',
      kind: 'upload',
      source: service.artifact,
      timeoutMs,
      retry,
      mutating: false,
    });
  }
  service.steps.forEach((step, i) => {
    phases.push({
      id: `run:${step.name ?? `run${i + 1}`}`,
      kind: 'run',
      command: step.run,
      timeoutMs: step.timeout ?? timeoutMs,
      retry: step.retry ? retryPolicy(step.retry) : retry,
      mutating: true,
    });
  });
  if (service.artifact !== undefined) {
    phases.push({ id: 'switch', kind: 'switch', keepReleases, timeoutMs, retry, mutating: true });
  }
  if (service.start !== undefined) {
    phases.push({ id: 'start', kind: 'start', start: service.start, timeoutMs, retry, mutating: true });
  }
  const checks = healthChecksOf(service);
  if (checks.length > 0) {
    phases.push({ id: 'health', kind: 'health', checks, timeoutMs, retry, mutating: false });
  }
  return phases;
}

/**
 * Rollback steps: the service's `rollback:` list, or `[restore]`. `restore`
 * needs a release to switch back to, so a service without an artifact has
 * nothing to restore by default — its rollback only records the version.
 */
export function rollbackPhases(config: Config, service: ServiceConfig): Phase[] {
  const timeoutMs = service.timeout ?? config.defaults.timeout;
  const retry = retryPolicy(service.retry ?? config.defaults.retry);
  const keepReleases = service.keepReleases ?? config.defaults.keepReleases;
  const restore: Phase = {
    id: 'restore',
    kind: 'restore',
    start: service.start ?? null,
    checks: healthChecksOf(service),
    keepReleases,
    timeoutMs,
    retry,
    mutating: true,
  };
  if (service.rollback === undefined) return service.artifact === undefined ? [] : [restore];
  let runs = 0;
  return service.rollback.map((step): Phase => {
    if (step === 'restore') return restore;
    runs++;
    return {
      id: `run:${step.name ?? `rollback${runs}`}`,
      kind: 'run',
      command: step.run,
      timeoutMs: step.timeout ?? timeoutMs,
      retry: step.retry ? retryPolicy(step.retry) : retry,
      mutating: true,
    };
  });
}
