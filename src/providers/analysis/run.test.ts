import { describe, expect, it } from 'vitest';
import { MarshalError } from '../../model/errors.js';
import type { AnalysisConfig } from '../../model/schema-delivery.js';
import type { Measurement } from '../../model/traffic.js';
import { recordingIO } from '../../testing/provider-testkit.js';
import type { Judged, Measure } from './measure.js';
import { type LoopSpec, measureLoop, runAnalysis } from './run.js';
import { assess, emptyTally, record } from './verdict.js';

type Outcome = Measurement['outcome'];

const spec = (over: Partial<LoopSpec> = {}): LoopSpec => ({
  count: 5,
  interval: 1000,
  initialDelay: 0,
  failureLimit: 0,
  inconclusiveLimit: 0,
  dryRun: false,
  ...over,
});

/** A measure that plays back `outcomes` (values 1, 2, 3…), failing the test if asked for more. */
function script(outcomes: Outcome[]): Measure & { calls: number } {
  const measure = Object.assign(
    async (): Promise<Judged> => {
      const outcome = outcomes[measure.calls];
      measure.calls += 1;
      if (outcome === undefined) throw new Error('measured once too often');
      return {
        value: outcome === 'error' ? null : measure.calls,
        outcome,
        message: outcome === 'error' ? `boom ${measure.calls}` : `${outcome} ${measure.calls}`,
      };
    },
    { calls: 0 },
  );
  return measure;
}

const instant = { sleep: async () => undefined };

async function verdictOf(outcomes: Outcome[], over: Partial<LoopSpec> = {}) {
  const measure = script(outcomes);
  const result = await measureLoop('demo', spec(over), measure, recordingIO(), instant);
  return { ...result, calls: measure.calls, outcomes: result.measurements.map((m) => m.outcome) };
}

describe('verdict', () => {
  it('passes after count successes', async () => {
    const r = await verdictOf(['success', 'success', 'success', 'success', 'success']);
    expect(r.verdict).toBe('passed');
    expect(r.message).toBe('passed: 5 of 5 measurements succeeded');
    expect(r.measurements.map((m) => m.value)).toEqual([1, 2, 3, 4, 5]);
  });

  it('fails as soon as failures exceed failureLimit', async () => {
    const r = await verdictOf(['failure', 'success', 'failure', 'failure', 'success'], { failureLimit: 2 });
    expect(r).toMatchObject({ verdict: 'failed', message: 'failed (3) > failureLimit (2)', calls: 4 });
    const first = await verdictOf(['failure', 'success'], { failureLimit: 0 });
    expect(first).toMatchObject({ verdict: 'failed', message: 'failed (1) > failureLimit (0)', calls: 1 });
  });

  it('passes with failures and inconclusive measurements within their limits, and says so', async () => {
    const r = await verdictOf(['failure', 'inconclusive', 'success', 'success', 'failure'], {
      failureLimit: 2,
      inconclusiveLimit: 1,
    });
    expect(r.verdict).toBe('passed');
    expect(r.message).toBe(
      'passed: 2 of 5 measurements succeeded; failed (2) <= failureLimit (2), inconclusive (1) <= inconclusiveLimit (1)',
    );
  });

  it('is inconclusive as soon as inconclusive measurements exceed inconclusiveLimit', async () => {
    const r = await verdictOf(['inconclusive', 'success'], {});
    expect(r).toMatchObject({
      verdict: 'inconclusive',
      message: 'inconclusive (1) > inconclusiveLimit (0)',
      calls: 1,
    });
    const two = await verdictOf(['success', 'inconclusive', 'inconclusive', 'inconclusive'], {
      inconclusiveLimit: 2,
    });
    expect(two).toMatchObject({ message: 'inconclusive (3) > inconclusiveLimit (2)', calls: 4 });
  });

  it('ends in error after 4 consecutive errors, with the last message', async () => {
    const r = await verdictOf(['error', 'error', 'error', 'error', 'success']);
    expect(r).toMatchObject({ verdict: 'error', message: 'error (4 consecutive): boom 4', calls: 4 });
  });

  it('retries errors without counting them, and a judged measurement resets the streak', async () => {
    const outcomes: Outcome[] = ['error', 'error', 'error', 'success', 'error', 'error', 'error', 'success'];
    const r = await verdictOf(outcomes, { count: 2 });
    expect(r.verdict).toBe('passed');
    expect(r.message).toBe('passed: 2 of 2 measurements succeeded; 6 errors retried');
    expect(r.calls).toBe(8);
    const one = await verdictOf(['error', 'success'], { count: 1 });
    expect(one.message).toBe('passed: 1 of 1 measurement succeeded; 1 error retried');
  });

  it('checks failures before inconclusive before errors', () => {
    const tally = emptyTally();
    for (const outcome of ['failure', 'inconclusive'] as const) record(tally, { outcome });
    expect(assess(tally, { count: 5, failureLimit: 0, inconclusiveLimit: 0 })?.verdict).toBe('failed');
    expect(assess(tally, { count: 5, failureLimit: 1, inconclusiveLimit: 0 })?.verdict).toBe('inconclusive');
    expect(assess(tally, { count: 5, failureLimit: 1, inconclusiveLimit: 1 })).toBeNull();
  });

  it('dry run: measures as usual, stops as usual, but always passes and says what it would have done', async () => {
    const failing = await verdictOf(['failure', 'failure', 'failure', 'success'], {
      failureLimit: 2,
      dryRun: true,
    });
    expect(failing).toMatchObject({
      verdict: 'passed',
      message: 'dry run: would have failed (3) > failureLimit (2)',
    });
    expect(failing.outcomes).toEqual(['failure', 'failure', 'failure']);
    const inconclusive = await verdictOf(['inconclusive'], { dryRun: true });
    expect(inconclusive.message).toBe('dry run: would have been inconclusive (1) > inconclusiveLimit (0)');
    const errored = await verdictOf(['error', 'error', 'error', 'error'], { dryRun: true });
    expect(errored.message).toBe('dry run: would have ended in error (4 consecutive): boom 4');
    const passing = await verdictOf(['success'], { count: 1, dryRun: true });
    expect(passing).toMatchObject({
      verdict: 'passed',
      message: 'dry run: passed: 1 of 1 measurement succeeded',
    });
  });
});

describe('measureLoop', () => {
  it('waits initialDelay, then keeps the interval between measurement starts', async () => {
    let clock = 0;
    const sleeps: number[] = [];
    const measure: Measure = async () => {
      clock += 300; // every measurement takes 300 ms
      return { value: 1, outcome: 'success' };
    };
    const result = await measureLoop('demo', spec({ count: 3, initialDelay: 5000 }), measure, recordingIO(), {
      now: () => clock,
      sleep: async (ms) => {
        sleeps.push(ms);
        clock += ms;
      },
    });
    expect(sleeps).toEqual([5000, 700, 700]);
    expect(result.measurements.map((m) => m.at)).toEqual([5000, 6000, 7000]);
  });

  it('counts on from measurements taken before: no second initialDelay, the next one an interval after the last', async () => {
    let clock = 10_000;
    const sleeps: number[] = [];
    const measure = script(['success', 'failure']);
    const taken: Measurement[] = [
      { at: 9_000, value: 1, outcome: 'success' },
      { at: 9_800, value: 2, outcome: 'success' },
    ];
    const result = await measureLoop('demo', spec({ count: 4, initialDelay: 5000 }), measure, recordingIO(), {
      taken,
      now: () => clock,
      sleep: async (ms) => {
        sleeps.push(ms);
        clock += ms;
      },
    });
    expect(sleeps).toEqual([800, 1000]);
    expect(measure.calls).toBe(2);
    expect(result.message).toBe('failed (1) > failureLimit (0)');
    expect(result.measurements.map((m) => m.at)).toEqual([9_000, 9_800, 10_800, 11_800]);
    // Taken ones that already reach a verdict (stopped before the step's outcome was stored) stand.
    const decided = await measureLoop('demo', spec({ count: 2 }), script([]), recordingIO(), {
      ...instant,
      taken,
    });
    expect(decided.message).toBe('passed: 2 of 2 measurements succeeded');
  });

  it('logs every measurement and the verdict, and hands each measurement over as it is taken', async () => {
    const io = recordingIO();
    const seen: Measurement[] = [];
    const measure: Measure = async () => ({
      value: 0.2,
      outcome: 'failure',
      message: 'result < 0.05 is false',
    });
    const result = await measureLoop('error-rate', spec(), measure, io, {
      ...instant,
      onMeasurement: async (m) => {
        seen.push(m);
      },
    });
    expect(seen).toEqual(result.measurements);
    expect(io.text()).toEqual([
      'analysis error-rate #1: 0.2 → failure (result < 0.05 is false)',
      'analysis error-rate: failed (1) > failureLimit (0)',
    ]);
  });

  it('turns a measure that throws into an errored measurement', async () => {
    const measure: Measure = async () => {
      throw new Error('bug in a reader');
    };
    const result = await measureLoop('demo', spec(), measure, recordingIO(), instant);
    expect(result.message).toBe('error (4 consecutive): bug in a reader');
    expect(result.measurements).toHaveLength(4);
  });

  it('throws the abort reason, during a measurement or between two', async () => {
    const stop = new AbortController();
    const reason = new MarshalError('CANCELLED', 'interrupted');
    const measure: Measure = async () => {
      stop.abort(reason);
      return { value: 1, outcome: 'success' };
    };
    await expect(measureLoop('demo', spec(), measure, recordingIO(stop), instant)).rejects.toBe(reason);

    const later = new AbortController();
    const timeout = new MarshalError('TIMEOUT', 'step timed out');
    const ok: Measure = async () => ({ value: 1, outcome: 'success' });
    const run = measureLoop('demo', spec({ interval: 60_000 }), ok, recordingIO(later));
    setTimeout(() => later.abort(timeout), 20);
    await expect(run).rejects.toBe(timeout);
  });
});

describe('runAnalysis with an analysis that cannot measure', () => {
  const base: AnalysisConfig = {
    command: 'true',
    successCondition: 'result == 0',
    interval: 10,
    initialDelay: 0,
    count: 1,
    failureLimit: 0,
    inconclusiveLimit: 0,
    dryRun: false,
  };

  it('gives an error verdict for a malformed condition or source, without measuring', async () => {
    const bad = await runAnalysis('demo', { ...base, successCondition: 'result =< 1' }, recordingIO());
    expect(bad).toEqual({
      verdict: 'error',
      message:
        'error (cannot measure): successCondition `result =< 1`: unexpected "=" (use == to compare) at position 8',
      measurements: [],
    });
    const url = await runAnalysis(
      'demo',
      { ...base, command: undefined, http: { url: 'ftp://x', jsonPath: 'a' } },
      recordingIO(),
    );
    expect(url.message).toBe('error (cannot measure): http.url "ftp://x" is not an http(s) URL');
    const two = await runAnalysis(
      'demo',
      { ...base, http: { url: 'http://x', jsonPath: 'a' } },
      recordingIO(),
    );
    expect(two.message).toBe(
      'error (cannot measure): an analysis needs exactly one of prometheus, http or command',
    );
  });

  it('in a dry run, passes with what it would have said', async () => {
    const bad = await runAnalysis(
      'demo',
      { ...base, successCondition: 'result <', dryRun: true },
      recordingIO(),
    );
    expect(bad.verdict).toBe('passed');
    expect(bad.message).toMatch(
      /^dry run: would have ended in error \(cannot measure\): successCondition `result <`: expected/,
    );
  });

  it('throws the abort reason when already aborted', async () => {
    const stop = new AbortController();
    const reason = new MarshalError('CANCELLED', 'interrupted');
    stop.abort(reason);
    await expect(runAnalysis('demo', base, recordingIO(stop))).rejects.toBe(reason);
  });
});
