/**
 * The one step runner. Every step of a run — a phase of a target, a blue-green or canary
 * service's own step — is a Task, and runTask gives each the same treatment: its start recorded
 * durably before it acts, a deadline per attempt under the run's signal, status first, retries
 * by policy, and its outcome recorded (so a resumed run knows what finished).
 */
import type { VisitResult } from '../dag/walk.js';
import type { Clock } from '../model/clock.js';
import { type MarshalError, toMarshalError } from '../model/errors.js';
import type { Plan, RetryPolicy } from '../model/plan.js';
import type { ProviderRegistry, StepIO } from '../model/provider.js';
import type { AnalysisVerdict, NewEvent, TargetChange } from '../model/run.js';
import type { Traffic } from '../model/traffic.js';
import type { RunGraph } from '../plan/index.js';
import type { FailureBudget } from './budget.js';
import type { Journal } from './journal.js';
import type { Prior } from './prior.js';

/** What the steps of one walk share. */
export interface StepContext {
  plan: Plan;
  runId: number;
  graph: RunGraph;
  journal: Journal;
  providers: ProviderRegistry;
  clock: Clock;
  /** Aborts on cancellation; never aborts during a rollback. */
  signal: AbortSignal;
  prior: Prior;
  /** Failure budgets of rolling services (deploy walk only): gates judge them. */
  budget?: FailureBudget;
  /** Routers and analyses, for blue-green and canary services. */
  traffic?: Traffic;
}

export type Applied =
  /** `changes`: what now serves on the service's targets (a router switch). */
  | { outcome: 'done'; verdict?: AnalysisVerdict; changes?: TargetChange[] }
  /** A person must answer (`marshal approve` / `reject`): what waits on this step waits too. */
  | { outcome: 'waiting'; reason: string }
  /** A failure with a verdict to keep (a failed analysis); other failures are thrown. */
  | { outcome: 'failed'; error: MarshalError; verdict?: AnalysisVerdict };

export interface Task {
  id: string;
  /** Time one attempt may take. */
  timeoutMs: number;
  retry: RetryPolicy;
  /** What is live on the target once the step starts (a target's first changing step). */
  starting?: TargetChange;
  /** What is live on the target once the step succeeds (a target's last step). */
  finishing?: TargetChange;
  /** Whether the step's effect is already in place: then nothing is applied. No side effects. */
  status(io: StepIO): Promise<boolean>;
  apply(io: StepIO): Promise<Applied>;
  /** What must hold once the effect is in place, applied or found (a restored target's health). */
  check?(io: StepIO): Promise<void>;
}

export function backoffDelay(policy: RetryPolicy, attempt: number): number {
  return Math.min(policy.maxBackoffMs, policy.backoffMs * policy.factor ** (attempt - 1));
}

export function isRetryable(error: MarshalError, policy: RetryPolicy): boolean {
  if (!error.retryable || policy.nonRetryable.includes(error.code)) return false;
  const exitCode = error.details?.exitCode;
  return !(typeof exitCode === 'number' && policy.nonRetryable.includes(`exit:${exitCode}`));
}

/** Turns what a step threw into the error to record: cancellation and timeouts are named as such. */
function classify(error: unknown, runSignal: AbortSignal, deadline: AbortSignal): MarshalError {
  if (runSignal.aborted) return toMarshalError(runSignal.reason, 'CANCELLED');
  if (deadline.aborted) return toMarshalError(deadline.reason, 'TIMEOUT');
  return toMarshalError(error, 'PROVIDER_ERROR');
}

/** Runs `task` to an outcome; `attempts`: those it made before a resume. */
export async function runTask(
  ctx: Pick<StepContext, 'runId' | 'journal' | 'clock' | 'signal'>,
  task: Task,
  attempts: number,
): Promise<VisitResult> {
  const { runId, journal, clock } = ctx;
  const stepId = task.id;
  const interrupted = async (attempt: number): Promise<VisitResult> => {
    await journal.record({ type: 'step.interrupted', runId, stepId, at: clock.now(), data: { attempt } });
    return 'cancelled';
  };
  // A resumed step gets at least one more attempt, whatever it used before.
  const maxAttempts = Math.max(task.retry.attempts, attempts + 1);
  for (let attempt = attempts + 1; ; attempt++) {
    const begun = task.starting ? { attempt, target: task.starting } : { attempt };
    await journal.record({ type: 'step.started', runId, stepId, at: clock.now(), data: begun });
    const started = clock.now();
    const deadline = clock.deadline(task.timeoutMs, ctx.signal);
    const signal = deadline.signal;
    const io: StepIO = {
      signal,
      log: (line, stream = 'info') => journal.log({ runId, stepId, at: clock.now(), stream, line }),
    };
    let applied: Applied;
    let alreadyDone = false;
    try {
      alreadyDone = await task.status(io);
      applied = alreadyDone ? { outcome: 'done' } : await task.apply(io);
      if (applied.outcome === 'done') await task.check?.(io);
    } catch (thrown) {
      applied = { outcome: 'failed', error: classify(thrown, ctx.signal, signal) };
    } finally {
      deadline.clear();
    }
    const durationMs = clock.now() - started;
    if (applied.outcome === 'waiting') {
      await journal.record({
        type: 'step.waiting',
        runId,
        stepId,
        at: clock.now(),
        data: { reason: applied.reason },
      });
      return 'waiting';
    }
    if (applied.outcome === 'done') {
      const { verdict, changes = [] } = applied;
      // Nothing acts on an outcome until a dependent step starts: it rides with that start's commit.
      journal.enqueueAll(
        changes.map((data): NewEvent => ({ type: 'target.changed', runId, at: clock.now(), data })),
      );
      const data: Extract<NewEvent, { type: 'step.succeeded' }>['data'] = { attempt, durationMs };
      if (alreadyDone) data.alreadyDone = true;
      if (verdict) data.verdict = verdict;
      if (task.finishing) data.target = task.finishing;
      journal.enqueue({ type: 'step.succeeded', runId, stepId, at: clock.now(), data });
      return 'ok';
    }
    const { error, verdict } = applied;
    if (error.code === 'CANCELLED') return interrupted(attempt);
    const final = attempt >= maxAttempts || !isRetryable(error, task.retry);
    const data = { attempt, durationMs, error: error.toJSON(), final, ...(verdict ? { verdict } : {}) };
    await journal.record({ type: 'step.failed', runId, stepId, at: clock.now(), data });
    if (final) return 'failed';
    const delayMs = backoffDelay(task.retry, attempt);
    await journal.record({
      type: 'step.retrying',
      runId,
      stepId,
      at: clock.now(),
      data: { attempt, delayMs },
    });
    try {
      await clock.sleep(delayMs, ctx.signal);
    } catch {
      return interrupted(attempt);
    }
  }
}
