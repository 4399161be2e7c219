/**
 * How long a run took: its working time — the sum of the spans it was being executed — and,
 * where that differs, the wall-clock time from its start to its end, labelled. A run killed and
 * resumed an hour later took its working time, not the hour it lay dead.
 */
import { formatDuration } from '../../model/duration.js';
import type { RunSpan, RunSummary } from '../../model/run.js';
import type { RunStore } from '../../model/store.js';

export interface RunTime {
  /** The sum of the run's spans; an open last span counts until `now`. */
  workedMs: number;
  /** From the run's start to its end (until `now` while it has not ended). */
  wallMs: number;
  /** Times the run stopped without ending and was taken up again (resumed, or cancelled while dead). */
  interruptions: number;
  ended: boolean;
}

type Timed = Pick<RunSummary, 'createdAt' | 'endedAt'>;

export function runTime(run: Timed, spans: readonly RunSpan[], now = Date.now()): RunTime {
  const ended = run.endedAt !== null;
  const wallMs = (run.endedAt ?? now) - run.createdAt;
  if (spans.length === 0) return { workedMs: wallMs, wallMs, interruptions: 0, ended };
  let workedMs = 0;
  for (const span of spans) workedMs += (span.open === true ? Math.max(span.to, now) : span.to) - span.from;
  const last = spans[spans.length - 1] as RunSpan;
  // An ended run whose last span stopped before its end was closed by someone else (cancelled while dead).
  const closedLater = ended && last.open !== true && (run.endedAt as number) > last.to;
  return { workedMs, wallMs, interruptions: spans.length - 1 + (closedLater ? 1 : 0), ended };
}

function times(n: number): string {
  return n === 1 ? 'once' : n === 2 ? 'twice' : `${n} times`;
}

/**
 * `12s`, `4.1s so far`, or `12s (43m10s from start to end, interrupted once)` when the run
 * stopped and was taken up again.
 */
export function tookText(time: RunTime): string {
  const worked = `${formatDuration(time.workedMs)}${time.ended ? '' : ' so far'}`;
  if (time.interruptions === 0) return worked;
  const wall = `${formatDuration(time.wallMs)} ${time.ended ? 'from start to end' : 'since it started'}`;
  return `${worked} (${wall}, interrupted ${times(time.interruptions)})`;
}

/** The JSON fields of a run's time (`--json` of show, history and the run commands). */
export function timeFields(time: RunTime): { workedMs: number; wallMs: number; interruptions: number } {
  return { workedMs: time.workedMs, wallMs: time.wallMs, interruptions: time.interruptions };
}

/** Reads the run's spans and tells its time. */
export async function readRunTime(store: RunStore, run: Timed & { id: number }): Promise<RunTime> {
  return runTime(run, await store.getRunSpans(run.id));
}
