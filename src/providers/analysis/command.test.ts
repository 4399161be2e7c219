import { describe, expect, it } from 'vitest';
import { MarshalError } from '../../model/errors.js';
import type { AnalysisConfig } from '../../model/schema-delivery.js';
import { recordingIO } from '../../testing/provider-testkit.js';
import type { AnalysisCommandRunner } from './command.js';
import { commandTimeout, outputTail } from './command.js';
import { runAnalysis } from './run.js';

const analysis = (command: string, over: Partial<AnalysisConfig> = {}): AnalysisConfig => ({
  command,
  successCondition: 'result == 0',
  interval: 10,
  initialDelay: 0,
  count: 2,
  failureLimit: 0,
  inconclusiveLimit: 0,
  dryRun: false,
  ...over,
});

describe('command analysis (real /bin/sh)', () => {
  it('passes when the command exits 0', async () => {
    const io = recordingIO();
    const result = await runAnalysis('smoke', analysis('echo checking; echo all good'), io);
    expect(result).toMatchObject({ verdict: 'passed', message: 'passed: 2 of 2 measurements succeeded' });
    expect(result.measurements[0]).toMatchObject({ value: 0, outcome: 'success' });
    expect(result.measurements[0]?.message).toBe('result == 0 is true (exited 0: checking / all good)');
    expect(io.text()[0]).toBe(
      'analysis smoke #1: 0 → success (result == 0 is true (exited 0: checking / all good))',
    );
  });

  it('fails on a non-zero exit, keeping the output in the message', async () => {
    const result = await runAnalysis(
      'smoke',
      analysis('echo "3 of 10 requests failed" >&2; exit 3'),
      recordingIO(),
    );
    expect(result.message).toBe('failed (1) > failureLimit (0)');
    expect(result.measurements).toEqual([
      {
        at: expect.any(Number),
        value: 3,
        outcome: 'failure',
        message: 'result == 0 is false (exited 3: 3 of 10 requests failed)',
      },
    ]);
  });

  it('judges the exit status with any condition', async () => {
    const spec = analysis('exit 1', { successCondition: 'result == 0', failureCondition: 'result >= 2' });
    const result = await runAnalysis('smoke', spec, recordingIO());
    expect(result.verdict).toBe('inconclusive');
    expect(result.measurements[0]?.message).toBe('neither result == 0 nor result >= 2 holds (exited 1)');
  });

  it('stops the command and throws the abort reason when the step is cancelled', async () => {
    const stop = new AbortController();
    const reason = new MarshalError('CANCELLED', 'interrupted');
    setTimeout(() => stop.abort(reason), 100);
    const started = Date.now();
    await expect(runAnalysis('smoke', analysis('sleep 30'), recordingIO(stop))).rejects.toBe(reason);
    expect(Date.now() - started).toBeLessThan(5000);
  });
});

describe('command analysis with an injected runner', () => {
  it('passes the command through and reports a runner that cannot start as an error', async () => {
    const seen: string[] = [];
    const runCommand: AnalysisCommandRunner = async (command) => {
      seen.push(command);
      throw new Error('cannot start `probe`: EACCES');
    };
    const result = await runAnalysis('smoke', analysis('probe --fast'), recordingIO(), { runCommand });
    expect(seen).toEqual(['probe --fast', 'probe --fast', 'probe --fast', 'probe --fast']);
    expect(result.message).toBe('error (4 consecutive): cannot start `probe`: EACCES');
  });

  it('gives the command at least 10 s, or the interval when longer', () => {
    expect(commandTimeout(1000)).toBe(10_000);
    expect(commandTimeout(60_000)).toBe(60_000);
  });

  it('keeps the last three non-empty lines of output', () => {
    expect(outputTail('a\n\nb\nc\nd\n')).toBe('b / c / d');
    expect(outputTail('x'.repeat(400))).toHaveLength(300);
  });
});
