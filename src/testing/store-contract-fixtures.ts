/**
 * What the parts of the RunStore contract share: the harness an implementation
 * hands in, the plan, run and event builders the tests write with, and the hook
 * through which each part sees the harness of the running test. Kept apart from
 * store-contract.ts so the parts can import it without importing the entry point
 * that imports them.
 */
import type { SerializedError } from '../model/errors.js';
import type { Plan, PlannedService } from '../model/plan.js';
import type { NewEvent } from '../model/run.js';
import type { NewRun, RunStore } from '../model/store.js';

export interface StoreHarness {
  store: RunStore;
  cleanup(): Promise<void>;
  /** Changes the stored log behind the store's back, as someone with database access could. */
  tamper: {
    setEventData(seq: number, data: unknown): Promise<void>;
    deleteEvent(seq: number): Promise<void>;
    /** Replaces a run's stored plan text. */
    setPlan(runId: number, planJson: string): Promise<void>;
  };
}

/**
 * Registers `use` to receive the harness each test opens, before the test runs.
 * runStoreContract opens one harness per test and shares it among all parts, so
 * a part keeps it in a plain variable instead of opening its own.
 */
export type WhenHarnessOpens = (use: (harness: StoreHarness) => void) => void;

/** A minimal valid plan for store tests. */
export function storeTestPlan(environment = 'prod'): Plan {
  return {
    format: 1,
    kind: 'deploy',
    environment,
    project: 'shop',
    configDigest: `sha256:${environment}`,
    projectDir: '/srv/shop',
    variables: { REGION: 'eu' },
    services: [],
    unchanged: [{ service: 'db', version: '1.0.0' }],
    limits: { global: 8, environment: null },
    rollbackOnFailure: true,
    estimate: null,
  };
}

/** A planned service of one target, changing `from` → `to` (only what the store keeps matters). */
export function storeTestService(name: string, from: string | null, to: string): PlannedService {
  const host = { name: 'h1', address: 'h1', root: '/srv/h1', vars: {}, ssh: null };
  return {
    name,
    group: 'app',
    provider: 'local',
    baseDir: '/srv/shop',
    from,
    to,
    needs: [],
    targets: [{ host, from }],
    unchangedTargets: [],
    phases: [],
    rollback: [],
    batches: [1],
    concurrency: null,
    pauseMs: 0,
    maxFailures: 0,
    delivery: null,
  };
}

/** A deploy run of storeTestPlan(environment), created at `at`. */
export const newRun = (environment = 'prod', at = 1000): NewRun => ({
  environment,
  kind: 'deploy',
  actor: 'alice',
  reason: 'release 42',
  plan: storeTestPlan(environment),
  at,
});

/** A `target.changed` event: `target` of `service` now runs `version` (null: the target is gone). */
export const targetChanged = (
  runId: number,
  at: number,
  service: string,
  target: string,
  version: string | null,
  healthy?: boolean,
): NewEvent =>
  ({
    type: 'target.changed',
    runId,
    at,
    data: { service, target, version, previous: '1', ...(healthy === undefined ? {} : { healthy }) },
  }) as NewEvent;

/** A command failure, for failed steps and runs. */
export const boom: SerializedError = { code: 'COMMAND_FAILED', message: 'exit 1', details: { exitCode: 1 } };

/** An event of step `stepId` in run `runId` at `at`. */
export const step = (
  runId: number,
  stepId: string,
  at: number,
  e: Omit<NewEvent, 'runId' | 'at'>,
): NewEvent => ({ ...e, runId, stepId, at }) as NewEvent;
