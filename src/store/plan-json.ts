/**
 * The stored form of a plan. A plan holds every target of every service, and services of
 * one group share their host objects; written naively, each of those hosts would be
 * repeated once per service (28 MB for 20 services × 10,000 hosts). Here every host is
 * written once, in `hosts`, and targets name theirs by index; reading restores the
 * sharing. Plans stored without `hosts` are read as they are.
 */
import type { Plan, PlannedHost, PlannedService } from '../model/plan.js';

type StoredTarget = { host: number; from: string | null };
type StoredService = Omit<PlannedService, 'targets'> & { targets: StoredTarget[] };
type StoredPlan = Omit<Plan, 'services'> & { hosts: PlannedHost[]; services: StoredService[] };

export function planToJson(plan: Plan): string {
  const index = new Map<PlannedHost, number>();
  const hosts: PlannedHost[] = [];
  const services = plan.services.map((svc) => ({
    ...svc,
    targets: svc.targets.map((t) => {
      let i = index.get(t.host);
      if (i === undefined) {
        i = hosts.push(t.host) - 1;
        index.set(t.host, i);
      }
      return { host: i, from: t.from };
    }),
  }));
  const stored: StoredPlan = { ...plan, hosts, services };
  return JSON.stringify(stored);
}

export function planFromJson(text: string): Plan {
  const stored = JSON.parse(text) as StoredPlan | Plan;
  if (!('hosts' in stored)) return stored;
  const { hosts, services, ...rest } = stored;
  return {
    ...rest,
    services: services.map((svc) => ({
      ...svc,
      targets: svc.targets.map((t) => {
        const host = hosts[t.host];
        if (host === undefined)
          throw new Error(`stored plan: target names host ${t.host}, which is not listed`);
        return { host, from: t.from };
      }),
    })),
  };
}
