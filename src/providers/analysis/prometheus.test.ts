import type { AddressInfo } from 'node:net';
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AnalysisConfig } from '../../model/schema-delivery.js';
import {
  type MetricsServer,
  serveMetrics,
  startPrometheus,
  type TestPrometheus,
  waitForData,
} from '../../testing/prometheus.js';
import { recordingIO } from '../../testing/provider-testkit.js';
import { parseSampleValue, prometheusQueryUrl, readQueryAnswer } from './prometheus.js';
import { runAnalysis } from './run.js';

const ERROR_RATIO = 'sum(rate(demo_requests_total{status=~"5.."}[5s])) / sum(rate(demo_requests_total[5s]))';

/** A port nothing listens on (it was free a moment ago). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const analysis = (address: string, query: string, over: Partial<AnalysisConfig> = {}): AnalysisConfig => ({
  prometheus: { address, query },
  successCondition: 'result < 0.05',
  interval: 500,
  initialDelay: 0,
  count: 3,
  failureLimit: 0,
  inconclusiveLimit: 0,
  dryRun: false,
  ...over,
});

describe('reading a query answer', () => {
  const vector = (...values: string[]) => ({
    status: 'success',
    data: {
      resultType: 'vector',
      result: values.map((v, i) => ({ metric: { i: String(i) }, value: [1, v] })),
    },
  });

  it('takes the first sample of a vector, scalar or matrix', () => {
    expect(readQueryAnswer(200, vector('0.25'))).toEqual({ kind: 'value', value: 0.25 });
    expect(readQueryAnswer(200, vector('1', '2'))).toEqual({
      kind: 'value',
      value: 1,
      message: 'first of 2 series',
    });
    expect(
      readQueryAnswer(200, { status: 'success', data: { resultType: 'scalar', result: [1, '3'] } }),
    ).toEqual({
      kind: 'value',
      value: 3,
    });
    const matrix = {
      resultType: 'matrix',
      result: [
        {
          metric: {},
          values: [
            [1, '1'],
            [2, '7'],
          ],
        },
      ],
    };
    expect(readQueryAnswer(200, { status: 'success', data: matrix })).toEqual({ kind: 'value', value: 7 });
  });

  it('treats an empty result and NaN as no data, and keeps infinities', () => {
    expect(readQueryAnswer(200, vector())).toEqual({ kind: 'no-data', value: null, message: 'no data' });
    expect(readQueryAnswer(200, vector('NaN'))).toEqual({
      kind: 'no-data',
      value: null,
      message: 'no data (NaN)',
    });
    expect(parseSampleValue('+Inf')).toBe(Number.POSITIVE_INFINITY);
    expect(parseSampleValue('-Inf')).toBe(Number.NEGATIVE_INFINITY);
  });

  it("reports Prometheus's own error", () => {
    const body = { status: 'error', errorType: 'bad_data', error: 'parse error' };
    expect(readQueryAnswer(400, body)).toEqual({
      kind: 'error',
      message: 'query failed (HTTP 400): bad_data: parse error',
    });
    expect(readQueryAnswer(502, { oops: true })).toEqual({
      kind: 'error',
      message: 'answered 502 without a query result',
    });
  });

  it('builds the query URL under any path prefix', () => {
    expect(prometheusQueryUrl('http://p:9090/prom/', 'up{job="a"}')).toBe(
      'http://p:9090/prom/api/v1/query?query=up%7Bjob%3D%22a%22%7D',
    );
  });
});

describe('prometheus analysis against a real Prometheus', () => {
  let metrics: MetricsServer;
  let prometheus: TestPrometheus;
  let ok = 0;
  let failed = 0;
  let errorShare = 0;
  // 100 requests a second; `errorShare` of them answer 500.
  const traffic = setInterval(() => {
    const errors = Math.round(10 * errorShare);
    ok += 10 - errors;
    failed += errors;
  }, 100);

  beforeAll(async () => {
    metrics = await serveMetrics(() =>
      [
        '# TYPE demo_requests_total counter',
        `demo_requests_total{status="200"} ${ok}`,
        `demo_requests_total{status="500"} ${failed}`,
        '',
      ].join('\n'),
    );
    prometheus = await startPrometheus({ targets: [metrics.target] });
    await waitForData(prometheus.address, ERROR_RATIO, 20_000);
  }, 30_000);

  afterAll(async () => {
    clearInterval(traffic);
    await prometheus?.stop();
    await metrics?.close();
  });

  it('passes on healthy traffic, with the measured values', async () => {
    const io = recordingIO();
    const result = await runAnalysis('error-rate', analysis(prometheus.address, ERROR_RATIO), io);
    expect(result.verdict).toBe('passed');
    expect(result.message).toBe('passed: 3 of 3 measurements succeeded');
    expect(result.measurements.map((m) => [m.value, m.outcome])).toEqual([
      [0, 'success'],
      [0, 'success'],
      [0, 'success'],
    ]);
    expect(io.text()[0]).toBe('analysis error-rate #1: 0 → success (result < 0.05 is true)');
  });

  it('a query without data is inconclusive', async () => {
    const query = 'sum(rate(demo_requests_total{status="404"}[5s]))';
    const result = await runAnalysis('not-found-rate', analysis(prometheus.address, query), recordingIO());
    expect(result.verdict).toBe('inconclusive');
    expect(result.message).toBe('inconclusive (1) > inconclusiveLimit (0)');
    expect(result.measurements).toMatchObject([{ value: null, outcome: 'inconclusive', message: 'no data' }]);
    const nan = await runAnalysis('nan', analysis(prometheus.address, '0/0'), recordingIO());
    expect(nan.measurements).toMatchObject([{ outcome: 'inconclusive', message: 'no data (NaN)' }]);
  });

  it('a bad query ends in error after 4 consecutive errors', async () => {
    const result = await runAnalysis(
      'broken',
      analysis(prometheus.address, 'sum(rate(', { interval: 20 }),
      recordingIO(),
    );
    expect(result.verdict).toBe('error');
    expect(result.message).toMatch(/^error \(4 consecutive\): query failed \(HTTP 400\): bad_data: /);
    expect(result.measurements).toHaveLength(4);
  });

  it('fails on 20% errors, with the measured ratio in the measurements', async () => {
    errorShare = 0.2;
    // The 5 s window must hold only the new traffic before the ratio is exactly 20%.
    const deadline = Date.now() + 20_000;
    let ratio = 0;
    while (Date.now() < deadline && Math.abs(ratio - 0.2) > 0.001) {
      ratio = await waitForData(prometheus.address, ERROR_RATIO, 5000);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const io = recordingIO();
    const spec = analysis(prometheus.address, ERROR_RATIO, { failureLimit: 1 });
    const result = await runAnalysis('error-rate', spec, io);
    expect(result.verdict).toBe('failed');
    expect(result.message).toBe('failed (2) > failureLimit (1)');
    expect(result.measurements).toHaveLength(2);
    for (const m of result.measurements) {
      expect(m.outcome).toBe('failure');
      expect(m.value).toBeCloseTo(0.2, 3);
      expect(m.message).toBe('result < 0.05 is false');
    }
    expect(io.text().at(-1)).toBe('analysis error-rate: failed (2) > failureLimit (1)');

    // With a failure condition, a value between the two is neither: inconclusive.
    const between = await runAnalysis(
      'error-rate',
      { ...spec, failureCondition: 'result > 0.5', inconclusiveLimit: 0 },
      recordingIO(),
    );
    expect(between.message).toBe('inconclusive (1) > inconclusiveLimit (0)');
    expect(between.measurements[0]?.message).toBe('neither result < 0.05 nor result > 0.5 holds');
  }, 30_000);

  it('an unreachable Prometheus is an error, not a failure', async () => {
    const address = `http://127.0.0.1:${await closedPort()}`;
    const result = await runAnalysis(
      'error-rate',
      analysis(address, ERROR_RATIO, { interval: 20 }),
      recordingIO(),
    );
    expect(result.message).toBe('error (4 consecutive): connection refused');
  });
});
