/**
 * A blue-green or canary service `api` on two local hosts behind a `command` router, with the
 * engine's fakes around it: what the engine's delivery tests deploy.
 */
import type { RunnerDeps, RunOptions } from '../engine/index.js';
import { startRun } from '../engine/index.js';
import type { Plan } from '../model/plan.js';
import type { Traffic, Verdict } from '../model/traffic.js';
import { buildPlan } from '../plan/index.js';
import { RecordingClock } from './clock.js';
import { FakeProvider, type Script } from './fake-provider.js';
import { FakeTraffic } from './fake-traffic.js';
import { MemoryStore } from './memory-store.js';
import { testProject } from './project.js';

export interface DeliveryOptions {
  /** `api`'s strategy, beside its router and slots. */
  strategy: object;
  /** Scripted analysis verdicts (FakeTraffic). */
  verdicts?: Record<string, Verdict[]>;
  /** More keys for host h2 (an `address`). */
  h2?: object;
  /** More keys for `api` (a timeout, a retry policy). */
  api?: object;
  /** More services, on group `other` (host o1). */
  others?: Record<string, object>;
  /** The `errors` analysis, in place of a Prometheus query. */
  analysis?: object;
  scripts?: Record<string, Script>;
  /** In place of the FakeTraffic. */
  traffic?: Traffic;
}

export function deliverySetup(options: DeliveryOptions) {
  const project = testProject({
    analyses: {
      errors: options.analysis ?? {
        prometheus: { address: 'http://prom', query: 'rate({service="{{ service }}"}[1m])' },
        successCondition: 'result < 0.05',
      },
    },
    services: {
      api: {
        group: 'app',
        artifact: 'build/{{ version }}',
        start: { command: 'serve' },
        health: { http: { url: 'http://127.0.0.1:{{ port }}/health' } },
        strategy: {
          router: 'edge',
          slots: { blue: { port: '{{ host.blue }}' }, green: { port: '{{ host.green }}' } },
          ...options.strategy,
        },
        ...options.api,
      },
      ...options.others,
    },
    environments: {
      dev: {
        routers: { edge: { type: 'command', run: 'apply' } },
        groups: {
          app: {
            hosts: [
              { name: 'h1', vars: { blue: '8001', green: '8002' } },
              { name: 'h2', vars: { blue: '8101', green: '8102' }, ...options.h2 },
            ],
          },
          other: { hosts: ['o1'] },
        },
      },
    },
  });
  const store = new MemoryStore();
  const provider = new FakeProvider(options.scripts);
  const traffic = new FakeTraffic(options.verdicts);
  const deps: RunnerDeps = {
    store,
    providers: () => provider,
    clock: new RecordingClock(),
    traffic: options.traffic ?? traffic,
    identity: { actor: 'tester', pid: process.pid, hostname: 'test' },
    leaseMs: 60_000,
  };
  /** Deploys `version`; `more` replaces some of the deps, `options` are the run's (a signal). */
  const deploy = async (version: string, more: Partial<RunnerDeps> = {}, options: RunOptions = {}) => {
    const outcome = await startRun(
      { ...deps, ...more },
      'dev',
      async (): Promise<Plan> =>
        buildPlan(project, { environment: 'dev', version }, await store.liveTargets('dev')),
      options,
    );
    if (outcome === null) throw new Error('nothing to change');
    return outcome;
  };
  /** A person's answer to a waiting step, as `marshal approve` / `reject` records it. */
  const answer = (
    runId: number,
    step: string,
    decision: 'approved' | 'rejected',
    reason: string | null = null,
  ) =>
    store.append([
      {
        type: 'step.answered',
        runId,
        stepId: step,
        at: Date.now(),
        data: { decision, actor: 'alice', reason },
      },
    ]);
  return { store, provider, traffic, deps, deploy, answer };
}
