/**
 * What the service-level steps of blue-green and canary hand the router and the analysis,
 * rendered when they run (as plan/render.ts renders a target's actions): the backends with
 * their weights, and the analysis with its templates filled in.
 */
import type { DeliveryStep, Plan, PlannedService } from '../model/plan.js';
import type { Slot } from '../model/provider.js';
import type { AnalysisConfig } from '../model/schema-delivery.js';
import { templateScope } from '../model/scope.js';
import { render, type TemplateScope } from '../model/template.js';
import type { Backend } from '../model/traffic.js';
import { slotPort } from './render.js';

/** The routers' backends: every target's old slot gets 100 − weight, its new slot `weight`. */
export function routerBackends(plan: Plan, svc: PlannedService, weight: number): Backend[] {
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

export function renderAnalysis(
  plan: Plan,
  svc: PlannedService,
  spec: Extract<DeliveryStep, { kind: 'analysis' }>['spec'],
): AnalysisConfig {
  const scope = serviceScope(plan, svc);
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
