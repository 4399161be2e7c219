import { describe, expect, it } from 'vitest';
import type { RunState } from '../model/run.js';
import { runSpans, type SpanMark } from './spans.js';

/** A run's events as [at, kind]: `created`, a state (`running`, `running resumed`, `cancelled by x`…), or `step`. */
function spansOf(events: [number, string][]) {
  const all = events.map(([at, what], i) => ({ seq: i + 1, at, what }));
  const marks: SpanMark[] = all.flatMap(({ seq, at, what }): SpanMark[] => {
    if (what === 'step') return [];
    if (what === 'created') return [{ seq, at, type: 'run.created', state: null, note: null }];
    const [state, ...note] = what.split(' ');
    return [{ seq, at, type: 'run.state', state: state as RunState, note: note.join(' ') || null }];
  });
  return runSpans(marks, (seq) => all.filter((e) => seq === undefined || e.seq < seq).at(-1)?.at ?? 0);
}

describe('runSpans', () => {
  it('is one span from creation to the end for a run that was never stopped', () => {
    expect(
      spansOf([
        [1000, 'created'],
        [1005, 'running'],
        [3000, 'step'],
        [5000, 'succeeded'],
      ]),
    ).toEqual([{ from: 1000, to: 5000 }]);
  });

  it('leaves out the time a killed run lay dead: its span ends at its last event before the resume', () => {
    const events: [number, string][] = [
      [1000, 'created'],
      [1005, 'running'],
      [3000, 'step'],
      [3_600_000, 'running resumed'],
      [3_602_000, 'step'],
      [3_603_000, 'succeeded'],
    ];
    expect(spansOf(events)).toEqual([
      { from: 1000, to: 3000 },
      { from: 3_600_000, to: 3_603_000 },
    ]);
    // Runs recorded before resumes carried a note: a second `running` is a resume too.
    events[3] = [3_600_000, 'running'];
    expect(spansOf(events)).toHaveLength(2);
  });

  it('ends a span at Ctrl-C or a wait for a person; the time until the resume is not the run’s', () => {
    expect(
      spansOf([
        [1000, 'created'],
        [1005, 'running'],
        [4000, 'cancelled interrupted'],
        [9000, 'running resumed'],
        [9500, 'waiting'],
        [20_000, 'step'], // the approval, recorded by `marshal approve`
        [20_001, 'running resumed'],
        [21_000, 'succeeded'],
      ]),
    ).toEqual([
      { from: 1000, to: 4000 },
      { from: 9000, to: 9500 },
      { from: 20_001, to: 21_000 },
    ]);
  });

  it('ends a dead run’s span at its last event when `marshal cancel` closes it later', () => {
    expect(
      spansOf([
        [1000, 'created'],
        [1005, 'running'],
        [3000, 'step'],
        [9000, 'cancelled cancelled by bob'],
        [9000, 'step'], // the steps it left in flight, interrupted by the cancel
      ]),
    ).toEqual([{ from: 1000, to: 3000 }]);
  });

  it('takes up a rollback that was killed as a new span', () => {
    expect(
      spansOf([
        [1000, 'created'],
        [1005, 'running'],
        [3000, 'rolling_back'],
        [3500, 'step'],
        [8000, 'rolling_back resumed'],
        [9000, 'rolled_back'],
      ]),
    ).toEqual([
      { from: 1000, to: 3500 },
      { from: 8000, to: 9000 },
    ]);
  });

  it('leaves the last span open while the run has not stopped', () => {
    expect(
      spansOf([
        [1000, 'created'],
        [1005, 'running'],
        [2000, 'step'],
      ]),
    ).toEqual([{ from: 1000, to: 2000, open: true }]);
  });
});
