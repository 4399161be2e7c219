/**
 * When a run was being executed — its spans — from its run-level events, as a pure function so
 * every store derives them alike (see model/run.ts RunSpan). Durations shown to people are the
 * sum of the spans, without the time a killed run lay dead or a run waited for a person.
 */
import { isCancelledByNote, RESUMED_NOTE, type RunSpan, type RunState } from '../model/run.js';

/** A run's `run.created` or `run.state` event, as runSpans reads it. */
export interface SpanMark {
  seq: number;
  at: number;
  type: 'run.created' | 'run.state';
  state: RunState | null;
  note: string | null;
}

const STOPS: ReadonlySet<RunState> = new Set([
  'succeeded',
  'failed',
  'rolled_back',
  'rollback_failed',
  'cancelled',
  'waiting',
]);

/**
 * When a run was being executed, from its `marks` in seq order; `lastAt(seq)` is the time of the
 * run's last event before `seq` (its last event of all without one). A span begins at
 * `run.created` and at each resume (the state it records with RESUMED_NOTE; in runs recorded
 * before that note, any `running` after the first). It ends at the state the executing process
 * stopped in (a final state, `waiting`, `cancelled`); when its process was killed, at its last
 * event before the next resume — or before `marshal cancel` closed it (cancelledByNote), which
 * records that state first. The last span of a run that has not stopped is `open`.
 */
export function runSpans(marks: readonly SpanMark[], lastAt: (beforeSeq?: number) => number): RunSpan[] {
  const spans: RunSpan[] = [];
  let from: number | null = null;
  let sawRunning = false;
  const close = (to: number) => {
    if (from !== null) spans.push({ from, to: Math.max(from, to) });
    from = null;
  };
  for (const mark of marks) {
    const resumed = mark.note === RESUMED_NOTE || (mark.state === 'running' && sawRunning);
    if (mark.state === 'running') sawRunning = true;
    if (mark.type === 'run.created' || resumed) {
      close(lastAt(mark.seq));
      from = mark.at;
    } else if (mark.state !== null && STOPS.has(mark.state)) {
      close(isCancelledByNote(mark.note) ? lastAt(mark.seq) : mark.at);
    }
  }
  if (from !== null) spans.push({ from, to: Math.max(from, lastAt()), open: true });
  return spans;
}
