/**
 * The verdict of an analysis from its measurements, as Argo Rollouts decides
 * it (analysis/analysis.go, assessMetricStatus): too many failures → failed,
 * too many inconclusive → inconclusive, a streak of errors → error, and
 * `count` judged measurements within the limits → passed. Pure: no I/O, no time.
 */
import { CONSECUTIVE_ERROR_LIMIT } from '../../model/measurement.js';
import type { AnalysisResult, Measurement, Verdict } from '../../model/traffic.js';

export { CONSECUTIVE_ERROR_LIMIT };

/** The limits of an analysis. */
export interface Limits {
  count: number;
  failureLimit: number;
  inconclusiveLimit: number;
}

/** Running counts of outcomes. */
export interface Tally {
  successes: number;
  failures: number;
  inconclusives: number;
  errors: number;
  consecutiveErrors: number;
  /** The last error's message, for the `error` verdict. */
  lastError: string;
}

/** A final verdict and its message. */
export interface Decision {
  verdict: Verdict;
  message: string;
}

export function emptyTally(): Tally {
  return { successes: 0, failures: 0, inconclusives: 0, errors: 0, consecutiveErrors: 0, lastError: '' };
}

/** Counts one measurement into `tally` (mutates it). */
export function record(tally: Tally, m: Pick<Measurement, 'outcome' | 'message'>): void {
  if (m.outcome === 'error') {
    tally.errors += 1;
    tally.consecutiveErrors += 1;
    tally.lastError = m.message ?? 'unknown error';
    return;
  }
  tally.consecutiveErrors = 0;
  if (m.outcome === 'success') tally.successes += 1;
  else if (m.outcome === 'failure') tally.failures += 1;
  else tally.inconclusives += 1;
}

/**
 * The verdict once one is reached, else null (measure again). Errors do not
 * count towards `count`: like Argo, an errored measurement is retried at the
 * next interval, so a flaky scrape cannot make an analysis pass on fewer
 * judged measurements than asked for.
 */
export function assess(tally: Tally, limits: Limits): Decision | null {
  const { failures, inconclusives, consecutiveErrors } = tally;
  if (failures > limits.failureLimit) {
    return { verdict: 'failed', message: `failed (${failures}) > failureLimit (${limits.failureLimit})` };
  }
  if (inconclusives > limits.inconclusiveLimit) {
    return {
      verdict: 'inconclusive',
      message: `inconclusive (${inconclusives}) > inconclusiveLimit (${limits.inconclusiveLimit})`,
    };
  }
  if (consecutiveErrors >= CONSECUTIVE_ERROR_LIMIT) {
    return { verdict: 'error', message: `error (${consecutiveErrors} consecutive): ${tally.lastError}` };
  }
  const judged = tally.successes + failures + inconclusives;
  if (judged < limits.count) return null;
  return { verdict: 'passed', message: passedMessage(tally, limits, judged) };
}

/** `passed: 5 of 5 measurements succeeded`, plus what was tolerated on the way. */
function passedMessage(tally: Tally, limits: Limits, judged: number): string {
  const noun = judged === 1 ? 'measurement' : 'measurements';
  const tolerated: string[] = [];
  if (tally.failures > 0)
    tolerated.push(`failed (${tally.failures}) <= failureLimit (${limits.failureLimit})`);
  if (tally.inconclusives > 0) {
    tolerated.push(
      `inconclusive (${tally.inconclusives}) <= inconclusiveLimit (${limits.inconclusiveLimit})`,
    );
  }
  if (tally.errors > 0) tolerated.push(`${tally.errors} error${tally.errors === 1 ? '' : 's'} retried`);
  const head = `passed: ${tally.successes} of ${judged} ${noun} succeeded`;
  return tolerated.length === 0 ? head : `${head}; ${tolerated.join(', ')}`;
}

const WOULD_HAVE: Record<Exclude<Verdict, 'passed'>, string> = {
  failed: 'would have ',
  inconclusive: 'would have been ',
  error: 'would have ended in ',
};

/**
 * A dry run's result: always `passed`, so nobody acts on it, with the real
 * verdict in the message (`dry run: would have failed (3) > failureLimit (2)`).
 * The measurements keep their real outcomes.
 */
export function dryRunResult(decision: Decision, measurements: Measurement[]): AnalysisResult {
  const message =
    decision.verdict === 'passed'
      ? `dry run: ${decision.message}`
      : `dry run: ${WOULD_HAVE[decision.verdict]}${decision.message}`;
  return { verdict: 'passed', message, measurements };
}
