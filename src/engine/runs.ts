/**
 * The engine as a library: plan a deploy, start a run under the
 * environment's lock, resume an interrupted run.
 */
import { MarshalError } from '../model/errors.js';
import type { Plan } from '../model/plan.js';
import type { Project } from '../model/project.js';
import { isResumableRunState, type RunRecord } from '../model/run.js';
import type { LockInfo } from '../model/store.js';
import { buildPlan, type PhaseHistory, type PlanRequest } from '../plan/index.js';
import { type ExecuteDeps, executeRun, type RunOutcome } from './execute.js';
import { acquireLock, keepLease } from './lock.js';

export interface Identity {
  actor: string;
  pid: number;
  hostname: string;
}

export interface RunnerDeps extends ExecuteDeps {
  identity: Identity;
  leaseMs: number;
}

export interface RunOptions {
  reason?: string | null;
  /** Wait for the environment lock instead of failing with LOCK_HELD. */
  wait?: boolean;
  /** Cancels the run (Ctrl-C); a rollback in progress is not cancelled. */
  signal?: AbortSignal;
  onWaiting?(holder: LockInfo): void;
  /** Told the plan once it is made (under the lock). */
  onPlanned?(plan: Plan): void;
  /** Told the run id as soon as the run exists. */
  onCreated?(runId: number): void;
}

/** Plans a deploy from the project and what the store knows is live. */
export async function planDeploy(
  deps: Pick<ExecuteDeps, 'store'>,
  project: Project,
  request: PlanRequest,
): Promise<Plan> {
  const live = await deps.store.liveTargets(request.environment);
  const history: PhaseHistory =
    project.config.environments[request.environment] === undefined || request.estimate === false
      ? {}
      : await deps.store.phaseDurations(request.environment, Object.keys(project.config.services));
  return buildPlan(project, request, live, history);
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

async function underLease<T>(
  deps: RunnerDeps,
  environment: string,
  runId: number,
  signal: AbortSignal | undefined,
  work: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const lost = new AbortController();
  const lease = keepLease(deps.store, deps.clock, environment, runId, deps.leaseMs, (storeError) =>
    lost.abort(
      storeError === undefined
        ? new MarshalError('CANCELLED', `lost the ${environment} lock: another process took it over`)
        : // The run stops as when interrupted (resumable); the store's error says why.
          new MarshalError('CANCELLED', `cannot renew the ${environment} lock: ${errorText(storeError)}`, {
            cause: storeError,
          }),
    ),
  );
  let failed = false;
  try {
    return await work(signal ? AbortSignal.any([signal, lost.signal]) : lost.signal);
  } catch (error) {
    failed = true;
    throw error;
  } finally {
    lease.stop();
    // After a failure — the store's own, say — releasing may fail too; that must not hide the
    // first error. A lock left behind is taken over at once: its holder's pid is dead by then.
    await deps.store.releaseLock(environment, runId).catch((error: unknown) => {
      if (!failed) throw error;
    });
  }
}

/**
 * Takes the environment's lock, plans under it (so a deploy that waited for
 * the lock plans against what the previous run left), creates the run and
 * executes it. Returns null, releasing the lock, when the plan changes nothing.
 */
export async function startRun(
  deps: RunnerDeps,
  environment: string,
  makePlan: () => Promise<Plan>,
  options: RunOptions = {},
): Promise<RunOutcome | null> {
  const { store, clock, identity } = deps;
  // The lock is taken before the run exists (a blocked deploy leaves no run behind), under a
  // provisional id unique to this process, then handed to the new run.
  const provisional = -identity.pid;
  await acquireLock(
    store,
    clock,
    environment,
    { ...identity, runId: provisional },
    {
      leaseMs: deps.leaseMs,
      wait: options.wait ?? false,
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.onWaiting ? { onWaiting: options.onWaiting } : {}),
    },
  );
  let runId: number;
  let plan: Plan;
  let created: RunRecord;
  try {
    // A run that crashed or was killed has changed targets the store does not know about yet:
    // planning over it would work from stale versions. It must be resumed or cancelled first.
    const [unfinished] = await store.listRuns({
      environment,
      states: ['pending', 'running', 'rolling_back', 'waiting'],
      limit: 1,
    });
    if (unfinished?.state === 'waiting') {
      throw new MarshalError(
        'RUN_UNFINISHED',
        `${environment} has run #${unfinished.id} waiting for a person (${unfinished.actor})`,
        {
          hint: `answer it with \`marshal approve ${unfinished.id}\` or \`marshal reject ${unfinished.id}\``,
        },
      );
    }
    if (unfinished !== undefined) {
      throw new MarshalError(
        'RUN_UNFINISHED',
        `${environment} has an unfinished run #${unfinished.id} (${unfinished.state}, ${unfinished.actor}): it was interrupted and not resumed`,
        {
          hint: `finish it with \`marshal resume ${unfinished.id}\`, or stop it for good with \`marshal cancel ${unfinished.id}\``,
        },
      );
    }
    plan = await makePlan();
    if (plan.environment !== environment)
      throw new MarshalError('INTERNAL', 'plan is for another environment');
    if (plan.services.length === 0) {
      await store.releaseLock(environment, provisional);
      options.onPlanned?.(plan);
      return null;
    }
    options.onPlanned?.(plan);
    // The provisional lock becomes the run's in the same commit.
    const run = await store.createRun(
      {
        environment: plan.environment,
        kind: plan.kind,
        actor: identity.actor,
        reason: options.reason ?? null,
        plan,
        at: clock.now(),
      },
      { takeLockFrom: provisional },
    );
    runId = run.id;
    created = run;
  } catch (error) {
    await store.releaseLock(environment, provisional);
    throw error;
  }
  options.onCreated?.(runId);
  return underLease(deps, environment, runId, options.signal, (signal) =>
    executeRun(deps, runId, { signal, run: created }),
  );
}

/** Continues an interrupted or crashed run; finished steps are not repeated. */
export async function resumeRun(
  deps: RunnerDeps,
  runId: number,
  options: RunOptions = {},
): Promise<RunOutcome> {
  const { store, clock, identity } = deps;
  const run = await store.getRun(runId);
  if (run === undefined)
    throw new MarshalError('NOT_FOUND', `no run #${runId}`, { hint: 'see `marshal history`' });
  if (!isResumableRunState(run.state)) {
    throw new MarshalError(
      'STATE_CONFLICT',
      `run #${runId} has ended (${run.state}); there is nothing to resume`,
    );
  }
  // A newer run planned from what this one left: resuming the old plan now would undo it.
  const [newest] = await store.listRuns({ environment: run.environment, limit: 1 });
  if (newest !== undefined && newest.id > runId) {
    throw new MarshalError(
      'STATE_CONFLICT',
      `run #${runId} is out of date: run #${newest.id} has run in ${run.environment} since`,
      { hint: `deploy again instead; \`marshal cancel ${runId}\` closes the old run` },
    );
  }
  await acquireLock(
    store,
    clock,
    run.environment,
    { ...identity, runId },
    {
      leaseMs: deps.leaseMs,
      wait: options.wait ?? false,
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.onWaiting ? { onWaiting: options.onWaiting } : {}),
    },
  );
  options.onCreated?.(runId);
  return underLease(deps, run.environment, runId, options.signal, (signal) =>
    executeRun(deps, runId, { signal }),
  );
}
