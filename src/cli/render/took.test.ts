import { describe, expect, it } from 'vitest';
import { runTime, tookText } from './took.js';

describe('how long a run took', () => {
  it('is its working time, with the span from start to end beside it when it was interrupted', () => {
    const run = { createdAt: 0, endedAt: 3_603_000 };
    const time = runTime(run, [
      { from: 0, to: 2000 },
      { from: 3_600_000, to: 3_603_000 },
    ]);
    expect(time).toEqual({ workedMs: 5000, wallMs: 3_603_000, interruptions: 1, ended: true });
    expect(tookText(time)).toBe('5.0s (1h00m from start to end, interrupted once)');
  });

  it('is just the time for a run never interrupted, and says "so far" for one still going', () => {
    expect(tookText(runTime({ createdAt: 0, endedAt: 1500 }, [{ from: 0, to: 1500 }]))).toBe('1.5s');
    const going = runTime({ createdAt: 0, endedAt: null }, [{ from: 0, to: 300, open: true }], 2500);
    expect(tookText(going)).toBe('2.5s so far');
  });

  it('counts a dead run closed by `marshal cancel` later as interrupted', () => {
    const time = runTime({ createdAt: 0, endedAt: 60_000 }, [{ from: 0, to: 2000 }]);
    expect(tookText(time)).toBe('2.0s (1m00s from start to end, interrupted once)');
  });

  it('falls back to the wall clock when the store knows no spans', () => {
    expect(runTime({ createdAt: 0, endedAt: 700 }, [])).toMatchObject({ workedMs: 700, interruptions: 0 });
  });
});
