import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AnalysisConfig } from '../../model/schema-delivery.js';
import { recordingIO } from '../../testing/provider-testkit.js';
import { lookupJsonPath, readJsonField, splitJsonPath } from './http.js';
import { runAnalysis } from './run.js';

const STATS = {
  stats: { errorRate: 0.01, p99: '0.250', status: 'ok', nothing: null, nested: { a: 1 }, flag: true },
  items: [{ value: 3 }, { value: 4 }],
};

let server: Server;
let base = '';
beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url === '/stats')
      return res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(STATS));
    if (req.url === '/down') return res.writeHead(503).end('{"error":"maintenance"}');
    if (req.url === '/text') return res.writeHead(200).end('<html>hello</html>');
    if (req.url === '/slow') return void setTimeout(() => res.writeHead(200).end('{}'), 2000);
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  // The first fetch of a process loads Node's HTTP client (~100 ms, more on a busy machine): with
  // the 100 ms read timeout of these analyses it made the first reading a timeout now and then.
  await (await fetch(`${base}/stats`)).text();
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const analysis = (path: string, jsonPath: string, over: Partial<AnalysisConfig> = {}): AnalysisConfig => ({
  http: { url: `${base}${path}`, jsonPath },
  successCondition: 'result < 0.05',
  interval: 100,
  initialDelay: 0,
  count: 2,
  failureLimit: 0,
  inconclusiveLimit: 0,
  dryRun: false,
  ...over,
});

describe('json paths', () => {
  it('splits dotted paths, indexes and a leading $', () => {
    expect(splitJsonPath('stats.errorRate')).toEqual(['stats', 'errorRate']);
    expect(splitJsonPath('$.items[1].value')).toEqual(['items', '1', 'value']);
    expect(splitJsonPath('items.0.value')).toEqual(['items', '0', 'value']);
    expect(splitJsonPath('$')).toEqual([]);
  });

  it('finds fields, and says when one is missing', () => {
    expect(lookupJsonPath(STATS, 'items[1].value')).toEqual({ found: true, value: 4 });
    expect(lookupJsonPath(STATS, 'stats.missing')).toEqual({ found: false });
    expect(lookupJsonPath(STATS, 'stats.errorRate.deeper')).toEqual({ found: false });
    expect(lookupJsonPath(STATS, 'toString')).toEqual({ found: false });
  });

  it('reads numbers and strings; anything else is no data', () => {
    expect(readJsonField(STATS, 'stats.errorRate')).toEqual({ kind: 'value', value: 0.01 });
    expect(readJsonField(STATS, 'stats.status')).toEqual({ kind: 'value', value: 'ok' });
    expect(readJsonField(STATS, 'stats.gone')).toEqual({
      kind: 'no-data',
      value: null,
      message: 'no field stats.gone in the answer',
    });
    expect(readJsonField(STATS, 'stats.nothing')).toMatchObject({
      kind: 'no-data',
      message: 'stats.nothing is null',
    });
    expect(readJsonField(STATS, 'stats.nested')).toMatchObject({
      message: 'stats.nested is an object, not a number or a string',
    });
    expect(readJsonField(STATS, 'stats.flag')).toMatchObject({
      message: 'stats.flag is a boolean, not a number or a string',
    });
  });
});

describe('http analysis', () => {
  it('passes on a number field that meets the condition', async () => {
    const result = await runAnalysis('error-rate', analysis('/stats', 'stats.errorRate'), recordingIO());
    expect(result.verdict).toBe('passed');
    expect(result.measurements.map((m) => m.value)).toEqual([0.01, 0.01]);
  });

  it('compares numeric strings as numbers and plain strings with ==', async () => {
    const p99 = await runAnalysis(
      'p99',
      analysis('/stats', 'stats.p99', { successCondition: 'result < 0.2' }),
      recordingIO(),
    );
    expect(p99).toMatchObject({ verdict: 'failed', message: 'failed (1) > failureLimit (0)' });
    expect(p99.measurements[0]).toMatchObject({
      value: '0.250',
      outcome: 'failure',
      message: 'result < 0.2 is false',
    });
    const status = await runAnalysis(
      'status',
      analysis('/stats', 'stats.status', { successCondition: 'result == "ok"' }),
      recordingIO(),
    );
    expect(status.verdict).toBe('passed');
  });

  it('a missing field is inconclusive', async () => {
    const result = await runAnalysis('error-rate', analysis('/stats', 'stats.errRate'), recordingIO());
    expect(result.verdict).toBe('inconclusive');
    expect(result.measurements[0]?.message).toBe('no field stats.errRate in the answer');
  });

  it('a string that cannot be ordered is an error', async () => {
    const result = await runAnalysis('status', analysis('/stats', 'stats.status'), recordingIO());
    expect(result.message).toBe('error (4 consecutive): cannot compare "ok" < 0.05');
  });

  it('a non-2xx answer, a body that is not JSON or a timeout is an error', async () => {
    const down = await runAnalysis('x', analysis('/down', 'a'), recordingIO());
    expect(down).toMatchObject({ verdict: 'error', message: 'error (4 consecutive): answered 503' });
    const text = await runAnalysis('x', analysis('/text', 'a'), recordingIO());
    expect(text.message).toBe(
      'error (4 consecutive): answered 200 with a body that is not JSON: "<html>hello</html>"',
    );
    const slow = await runAnalysis('x', analysis('/slow', 'a', { interval: 50 }), recordingIO());
    expect(slow.message).toBe('error (4 consecutive): timed out after 50ms');
  });
});
