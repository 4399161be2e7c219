/**
 * Phase + target → a fully rendered Action. Templates are rendered here, at
 * the moment a step runs, with the target's scope; values in shell commands
 * are quoted.
 */
import { resolve } from 'node:path';
import { MarshalError } from '../model/errors.js';
import type { Phase, Plan, PlannedService, PlannedTarget } from '../model/plan.js';
import type { Action, ProcessSpec, Slot, TargetContext, WatchSpec } from '../model/provider.js';
import type { HealthCheckConfig, StartConfig } from '../model/schema.js';
import { templateScope } from '../model/scope.js';
import { render, type TemplateScope } from '../model/template.js';
import type { Direction } from './graph.js';

export function targetContext(plan: Plan, service: PlannedService, target: PlannedTarget): TargetContext {
  return {
    environment: plan.environment,
    service: service.name,
    host: target.host,
    projectDir: plan.projectDir,
  };
}

/** In a deploy `version` is the new version; in a rollback it is the version restored. */
export function scopeFor(
  plan: Plan,
  service: PlannedService,
  target: PlannedTarget,
  direction: Direction,
): TemplateScope {
  const deploying = direction === 'deploy';
  const scope = templateScope({
    version: deploying ? service.to : (target.from ?? ''),
    previous: deploying ? target.from : service.to,
    service: service.name,
    environment: plan.environment,
    variables: plan.variables,
    host: target.host,
  });
  // Blue-green and canary: the new slot and its port (health URLs use {{ port }}).
  const delivery = service.delivery;
  if (delivery !== null) {
    scope.slot = delivery.slot;
    const port = delivery.ports[delivery.slot];
    scope.port = typeof port === 'number' ? String(port) : render(port, scope);
  } else {
    const port = startOf(service)?.port;
    scope.slot = '';
    scope.port = port === undefined ? '' : typeof port === 'number' ? String(port) : render(port, scope);
  }
  return scope;
}

/** The port of `slot` on `target` (blue-green, canary). */
export function slotPort(plan: Plan, service: PlannedService, target: PlannedTarget, slot: Slot): number {
  const port = service.delivery?.ports[slot];
  const value = renderPort(port, scopeFor(plan, service, target, 'deploy'));
  if (value === null)
    throw new MarshalError('INTERNAL', `service ${service.name} has no port for slot ${slot}`);
  return value;
}

function renderPort(port: number | string | undefined, scope: TemplateScope): number | null {
  if (port === undefined) return null;
  const text = typeof port === 'number' ? String(port) : render(port, scope);
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1 || value > 65535) {
    throw new MarshalError('PROVIDER_ERROR', `port "${text}" is not a port number`, { retryable: false });
  }
  return value;
}

function renderEnv(env: Record<string, string>, scope: TemplateScope): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) out[k] = render(v, scope);
  return out;
}

/** A plan stored before `settle` existed has none: the schema's default. */
const DEFAULT_SETTLE_MS = 1000;

/** `settled`: a health step follows, which watches the process and settles after its checks. */
function processSpec(
  plan: Plan,
  start: StartConfig,
  scope: TemplateScope,
  version: string,
  settled: boolean,
): ProcessSpec {
  return {
    command: render(start.command, scope, 'shell'),
    port: renderPort(start.port, scope),
    env: { ...plan.variables, ...renderEnv(start.env, scope) },
    stopTimeoutMs: start.stopTimeout,
    version,
    settleMs: settled ? 0 : (start.settle ?? DEFAULT_SETTLE_MS),
  };
}

/** The health step's watch of the service's process, when the service runs one. */
function watchOf(start: StartConfig | null | undefined, scope: TemplateScope): { watch?: WatchSpec } {
  if (start == null) return {};
  // Blue-green and canary: the slot's port, which the scope already holds.
  const port = scope.slot === '' ? renderPort(start.port, scope) : Number(scope.port);
  return { watch: { settleMs: start.settle ?? DEFAULT_SETTLE_MS, port } };
}

function startOf(service: PlannedService): StartConfig | undefined {
  const start = service.phases.find((p) => p.kind === 'start');
  return start?.kind === 'start' ? start.start : undefined;
}

/** `{ slot }` for the actions of a blue-green or canary service. */
function slotted(service: PlannedService): { slot?: Slot } {
  return service.delivery === null ? {} : { slot: service.delivery.slot };
}

export function renderChecks(checks: HealthCheckConfig[], scope: TemplateScope): HealthCheckConfig[] {
  return checks.map((c) => ({
    ...c,
    ...(c.http ? { http: { ...c.http, url: render(c.http.url, scope) } } : {}),
    ...(c.tcp
      ? { tcp: { host: render(c.tcp.host, scope), port: String(renderPort(c.tcp.port, scope)) } }
      : {}),
    ...(c.command !== undefined ? { command: render(c.command, scope, 'shell') } : {}),
  }));
}

export function actionFor(
  plan: Plan,
  service: PlannedService,
  target: PlannedTarget,
  phase: Phase,
  direction: Direction,
): Action {
  const scope = scopeFor(plan, service, target, direction);
  switch (phase.kind) {
    case 'upload':
      return {
        kind: 'upload',
        version: service.to,
        source: resolve(service.baseDir, render(phase.source, scope)),
      };
    case 'run':
      // Rollback commands run in the release being rolled back: it holds the code that knows how to undo itself.
      return {
        kind: 'exec',
        command: render(phase.command, scope, 'shell'),
        version: service.to,
        env: plan.variables,
        inRelease: service.phases.some((p) => p.kind === 'upload'),
      };
    case 'switch':
      return { kind: 'switch', version: service.to, keep: phase.keepReleases, ...slotted(service) };
    case 'start': {
      const checked = service.phases.some((p) => p.kind === 'health');
      const process = processSpec(plan, phase.start, scope, service.to, checked);
      const restart = plan.force === true ? { restart: true } : {};
      if (service.delivery === null) return { kind: 'start', process, ...restart };
      return {
        kind: 'start',
        process: { ...process, port: Number(scope.port), slot: service.delivery.slot },
        ...restart,
      };
    }
    case 'health':
      return {
        kind: 'health',
        checks: renderChecks(phase.checks, scope),
        env: plan.variables,
        ...slotted(service),
        ...watchOf(startOf(service), scope),
      };
    case 'restore': {
      // Blue-green and canary: the old slot never stopped serving; rolling back takes the new slot down.
      if (service.delivery !== null) {
        return {
          kind: 'restore',
          version: null,
          keep: phase.keepReleases,
          process: null,
          slot: service.delivery.slot,
        };
      }
      const version = target.from;
      const process =
        version === null || phase.start === null
          ? null
          : processSpec(plan, phase.start, scope, version, phase.checks.length > 0);
      return { kind: 'restore', version, keep: phase.keepReleases, process };
    }
  }
}

/**
 * What takes a blue-green or canary service's old slot down once it is no longer needed
 * (`keepOldFor`): a restore of that slot to nothing (`keep` is unused then).
 */
export function retireAction(service: PlannedService): Action | null {
  const slot = service.delivery?.fromSlot ?? null;
  return slot === null ? null : { kind: 'restore', version: null, keep: 2, process: null, slot };
}

/** The health check that follows a restore, or null when there is nothing to check. */
export function restoreHealthAction(
  plan: Plan,
  service: PlannedService,
  target: PlannedTarget,
  phase: Phase,
): Action | null {
  if (
    phase.kind !== 'restore' ||
    target.from === null ||
    phase.checks.length === 0 ||
    service.delivery !== null
  )
    return null;
  const scope = scopeFor(plan, service, target, 'rollback');
  return {
    kind: 'health',
    checks: renderChecks(phase.checks, scope),
    env: plan.variables,
    ...watchOf(phase.start, scope),
  };
}
