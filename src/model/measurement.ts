/** Analysis measurements and verdicts: plain data shared by runs (events) and analyses. */

export type Verdict = 'passed' | 'failed' | 'inconclusive' | 'error';

/** Errors in a row that end an analysis with `error`. */
export const CONSECUTIVE_ERROR_LIMIT = 4;

/**
 * The most measurements an analysis of `count` takes before its verdict: errors do not count
 * towards `count`, and each judged measurement may follow CONSECUTIVE_ERROR_LIMIT − 1 of them.
 */
export function mostMeasurements(count: number): number {
  return count * CONSECUTIVE_ERROR_LIMIT;
}

/** One measurement of an analysis. */
export interface Measurement {
  at: number;
  /** The measured value (a number for Prometheus/HTTP metrics, an exit status or text for commands). */
  value: number | string | null;
  outcome: 'success' | 'failure' | 'inconclusive' | 'error';
  message?: string;
}
