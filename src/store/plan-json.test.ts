import { describe, expect, it } from 'vitest';
import type { Plan, PlannedHost, PlannedService } from '../model/plan.js';
import { storeTestPlan } from '../testing/store-contract.js';
import { planFromJson, planToJson } from './plan-json.js';

const host = (name: string): PlannedHost => ({
  name,
  address: `${name}.example`,
  root: `/srv/deploy/${name}`,
  vars: { port: '8080' },
  ssh: null,
});

function service(name: string, hosts: PlannedHost[]): PlannedService {
  return {
    name,
    group: 'app',
    provider: 'local',
    baseDir: '/srv/shop',
    from: 'v1',
    to: 'v2',
    needs: [],
    targets: hosts.map((h, i) => ({ host: h, from: i === 0 ? null : 'v1' })),
    unchangedTargets: [],
    phases: [],
    rollback: [],
    batches: [hosts.length],
    concurrency: null,
    pauseMs: 0,
    maxFailures: 0,
    delivery: null,
  };
}

/** Two services of one group: they share the group's host objects, as the planner makes them. */
function fleetPlan(): Plan {
  const hosts = ['h1', 'h2', 'h3'].map(host);
  return { ...storeTestPlan(), services: [service('api', hosts), service('web', hosts)] };
}

describe('stored plans', () => {
  it('read back equal to what was written', () => {
    const plan = fleetPlan();
    expect(planFromJson(planToJson(plan))).toEqual(plan);
  });

  it('hold each host once, however many services deploy to it', () => {
    const json = planToJson(fleetPlan());
    expect(json.split('"/srv/deploy/h2"').length - 1).toBe(1);
    const read = planFromJson(json);
    expect(read.services[1]?.targets[1]?.host).toBe(read.services[0]?.targets[1]?.host);
  });

  it('read plans stored before hosts were listed once', () => {
    const plan = fleetPlan();
    expect(planFromJson(JSON.stringify(plan))).toEqual(plan);
  });

  it('refuse a target that names a host the plan does not list', () => {
    const stored = JSON.parse(planToJson(fleetPlan()));
    stored.services[0].targets[0].host = 7;
    expect(() => planFromJson(JSON.stringify(stored))).toThrow(/names host 7/);
  });
});
