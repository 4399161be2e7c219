/** Analysis measurements and verdicts: plain data shared by runs (events) and analyses. */

export type Verdict = 'passed' | 'failed' | 'inconclusive' | 'error';

/** One measurement of an analysis. */
export interface Measurement {
  at: number;
  /** The measured value (a number for Prometheus/HTTP metrics, an exit status or text for commands). */
  value: number | string | null;
  outcome: 'success' | 'failure' | 'inconclusive' | 'error';
  message?: string;
}
