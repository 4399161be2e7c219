import { describe, expect, it } from 'vitest';
import { liveTargetsOf, type TargetState } from '../model/run.js';
import { appService, testProject } from '../testing/project.js';
import { buildPlan } from './build.js';
import { buildDeployGraph, buildRollbackGraph, STEP } from './graph.js';
import { actionFor } from './render.js';
import { batchSizes } from './targets.js';

const project = testProject({
  services: {
    db: appService({
      group: 'db',
      version: 'v1',
      steps: [{ name: 'migrate', run: 'migrate {{ version }} --from {{ previous }}' }],
    }),
    api: appService({ needs: ['db'] }),
    cache: appService({ needs: ['db'] }),
    web: appService({ needs: ['cache'] }),
  },
  environments: {
    dev: {
      variables: { REGION: 'eu west' },
      groups: {
        db: { hosts: ['db-1'] },
        app: { hosts: ['a-1', { name: 'a-2', root: '/srv/a2', vars: { zone: 'b' } }] },
      },
    },
    prod: { groups: { db: { hosts: ['db-9'] } } },
  },
});

const live = (service: string, target: string, version: string): TargetState => ({
  environment: 'dev',
  service,
  target,
  version,
  previous: null,
  healthy: true,
  slot: null,
  runId: 1,
  updatedAt: 0,
});

describe('buildPlan', () => {
  it('plans every service with hosts, in needs order, from nothing to the desired version', () => {
    const plan = buildPlan(project, { environment: 'dev', version: 'v2' }, {});
    expect(plan.services.map((s) => s.name)).toEqual(['db', 'api', 'cache', 'web']);
    expect(plan.services[0]).toMatchObject({ from: null, to: 'v2', needs: [] });
    expect(plan.services[3]?.needs).toEqual(['cache']);
    expect(plan.services[1]?.phases.map((p) => p.id)).toEqual(['upload', 'switch', 'start', 'health']);
    expect(plan.services[0]?.phases.map((p) => p.id)).toEqual([
      'upload',
      'run:migrate',
      'switch',
      'start',
      'health',
    ]);
    expect(plan.services[1]?.targets.map((t) => t.host.root)).toEqual([
      '/tmp/marshal-test-project/.marshal/hosts/dev/a-1',
      '/srv/a2',
    ]);
  });

  it('leaves out targets and services already at the desired version, and waits through unchanged ones', () => {
    const current = [
      live('db', 'db-1', 'v2'),
      live('cache', 'a-1', 'v2'),
      live('cache', 'a-2', 'v2'),
      live('api', 'a-1', 'v2'),
    ];
    const plan = buildPlan(project, { environment: 'dev', version: 'v2' }, liveTargetsOf(current));
    expect(plan.services.map((s) => s.name)).toEqual(['api', 'web']);
    expect(plan.services[0]?.targets.map((t) => t.host.name)).toEqual(['a-2']);
    expect(plan.services[0]?.unchangedTargets).toEqual(['a-1']);
    expect(plan.unchanged.map((u) => u.service)).toEqual(['db', 'cache']);
    // web needs cache (unchanged) which needs db (unchanged): nothing to wait for.
    expect(plan.services[1]?.needs).toEqual([]);
  });

  it('takes --set over --version over the configured version', () => {
    const plan = buildPlan(project, { environment: 'dev', version: 'v5', set: { api: 'v7' } }, {});
    expect(Object.fromEntries(plan.services.map((s) => [s.name, s.to]))).toEqual({
      db: 'v5',
      api: 'v7',
      cache: 'v5',
      web: 'v5',
    });
    const onlyDb = buildPlan(project, { environment: 'dev', services: ['db'] }, {});
    expect(onlyDb.services.map((s) => `${s.name}@${s.to}`)).toEqual(['db@v1']);
  });

  it('rejects bad requests with an argument error that names the problem', () => {
    expect(() => buildPlan(project, { environment: 'stagin', version: 'v1' }, {})).toThrow(
      /unknown environment "stagin"/,
    );
    expect(() => buildPlan(project, { environment: 'dev', services: ['apx'], version: 'v1' }, {})).toThrow(
      /unknown service "apx"/,
    );
    expect(() => buildPlan(project, { environment: 'prod', services: ['api'], version: 'v1' }, {})).toThrow(
      /no hosts in prod/,
    );
    expect(() => buildPlan(project, { environment: 'dev' }, {})).toThrow(/no version for service "api"/);
    expect(() => buildPlan(project, { environment: 'dev', version: '../etc' }, {})).toThrow(
      /invalid version/,
    );
    expect(() => buildPlan(project, { environment: 'prod', version: 'v1', set: { api: 'v2' } }, {})).toThrow(
      /not a selected service/,
    );
  });

  it('suggests the service meant by a mistyped --set, as --services does', () => {
    expect(() => buildPlan(project, { environment: 'dev', version: 'v1', set: { apii: 'v2' } }, {})).toThrow(
      '--set apii=…: unknown service "apii" — did you mean "api"?',
    );
    expect(() => buildPlan(project, { environment: 'dev', version: 'v1', set: { cahce: 'v2' } }, {})).toThrow(
      'unknown service "cahce" — did you mean "cache"?',
    );
    // --services suggests by the same rule: a transposition is a typo, not a stranger.
    expect(() => buildPlan(project, { environment: 'dev', services: ['wbe'], version: 'v1' }, {})).toThrow(
      'unknown service "wbe" — did you mean "web"?',
    );
  });

  it('renders commands with shell-quoted values and the target scope', () => {
    const plan = buildPlan(
      project,
      { environment: 'dev', version: 'v2' },
      liveTargetsOf([live('db', 'db-1', "v1'; rm -rf /")]),
    );
    const db = plan.services[0];
    const migrate = db?.phases[1];
    if (!db || !migrate) throw new Error('no db plan');
    const action = actionFor(plan, db, db.targets[0] as never, migrate, 'deploy');
    expect(action).toMatchObject({ kind: 'exec', command: `migrate v2 --from 'v1'\\''; rm -rf /'` });
    expect(plan.variables).toEqual({ REGION: 'eu west' });
  });
});

describe('run graphs', () => {
  it('has one vertex per target and phase, plus a gate per service', () => {
    const plan = buildPlan(project, { environment: 'dev', version: 'v2' }, {});
    const graph = buildDeployGraph(plan);
    const steps = [...graph.kind].filter((k) => k === STEP).length;
    expect(steps).toBe(5 + 4 * 2 * 3);
    expect(graph.graph.size).toBe(steps + 4);
    expect(graph.graph.findCycle()).toBeNull();
    expect(graph.vertexOf('api/a-2/health')).toBeDefined();
    expect(graph.stepId(graph.vertexOf('api/a-2/health') as number)).toBe('api/a-2/health');
  });

  it('orders rollback in reverse needs: dependents first', () => {
    const plan = buildPlan(project, { environment: 'dev', version: 'v2' }, {});
    const touched = new Map([
      [0, [0]],
      [1, [0, 1]],
      [2, [1]],
    ]);
    const graph = buildRollbackGraph(plan, touched);
    const order = graph.graph
      .topologicalOrder()
      .filter((v) => graph.kind[v] === STEP)
      .map((v) => graph.stepId(v));
    expect(order.indexOf('rollback/db/db-1/restore')).toBeGreaterThan(
      order.indexOf('rollback/api/a-1/restore'),
    );
    expect(order.indexOf('rollback/db/db-1/restore')).toBeGreaterThan(
      order.indexOf('rollback/cache/a-2/restore'),
    );
    expect(order).toHaveLength(4);
  });

  it('builds the graph of one group of 200,000 hosts', () => {
    // Its targets were once spread into a push as arguments: "Maximum call stack size exceeded".
    const hosts = Array.from({ length: 200_000 }, (_, i) => `h${i + 1}`);
    const fleet = testProject({
      defaults: { provider: 'simulate' },
      services: { api: { group: 'fleet', steps: [{ run: 'deploy' }] } },
      environments: { prod: { groups: { fleet: { hosts } } } },
    });
    const plan = buildPlan(fleet, { environment: 'prod', version: 'v1', estimate: false }, {});
    const graph = buildDeployGraph(plan);
    // A step per host, then the service's gate, which waits for all of them.
    expect(graph.kind.length).toBe(200_001);
    expect(graph.stepId(0)).toBe('api/h1/run:run1');
    expect(graph.stepId(199_999)).toBe('api/h200000/run:run1');
    expect(graph.graph.depsOf(200_000)).toHaveLength(200_000);
  });
});

describe('batchSizes', () => {
  it('splits by count, percentage, and growing lists whose last size repeats', () => {
    expect(batchSizes(5, undefined)).toEqual([5]);
    expect(batchSizes(5, 2)).toEqual([2, 2, 1]);
    expect(batchSizes(10, '25%')).toEqual([3, 3, 3, 1]);
    expect(batchSizes(20, [1, '10%', '50%'])).toEqual([1, 2, 10, 7]);
    expect(batchSizes(0, 3)).toEqual([]);
  });
});
