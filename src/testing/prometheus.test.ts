import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type MetricsServer,
  prometheusConfig,
  serveMetrics,
  startPrometheus,
  type TestPrometheus,
  waitForData,
} from './prometheus.js';

let metrics: MetricsServer;
let prometheus: TestPrometheus;
let requests = 0;
let readyAfterMs = 0;
const traffic = setInterval(() => {
  requests += 10;
}, 100);

beforeAll(async () => {
  metrics = await serveMetrics(
    () => `# TYPE demo_requests_total counter\ndemo_requests_total{status="200"} ${requests}\n`,
  );
  prometheus = await startPrometheus({ targets: [metrics.target] });
  readyAfterMs = Date.now() - prometheus.startedAt;
});

afterAll(async () => {
  clearInterval(traffic);
  await prometheus?.stop();
  await metrics?.close();
});

describe('prometheusConfig', () => {
  it('scrapes the targets at the interval', () => {
    expect(prometheusConfig(['127.0.0.1:9100', '127.0.0.1:9101'])).toBe(
      [
        'global:',
        '  scrape_interval: 1s',
        '  evaluation_interval: 1s',
        'scrape_configs:',
        '  - job_name: marshal-test',
        '    static_configs:',
        '      - targets: ["127.0.0.1:9100", "127.0.0.1:9101"]',
        '',
      ].join('\n'),
    );
  });
});

describe('startPrometheus', () => {
  it('serves the API on 127.0.0.1 once ready', async () => {
    expect(prometheus.address).toBe(`http://127.0.0.1:${prometheus.port}`);
    expect(existsSync(`/proc/${prometheus.pid}`)).toBe(true);
    const ready = await fetch(`${prometheus.address}/-/ready`);
    expect(ready.status).toBe(200);
    expect(readyAfterMs).toBeLessThan(10_000);
  });

  it('scrapes the targets: first sample, then the first rate()', async () => {
    const up = await waitForData(prometheus.address, `up{instance="${metrics.target}"}`, 20_000);
    const firstSampleMs = Date.now() - prometheus.startedAt;
    expect(up).toBe(1);
    const rate = await waitForData(prometheus.address, 'sum(rate(demo_requests_total[5s]))', 20_000);
    const firstRateMs = Date.now() - prometheus.startedAt;
    // 100 requests/s, but the first rate() sees two samples in a 5 s window and so reads low:
    // ratios of rates are right from the start, absolute rates only once the window is full.
    expect(rate).toBeGreaterThan(0);
    expect(rate).toBeLessThan(150);
    console.info(
      `prometheus: ready after ${readyAfterMs} ms, first sample after ${firstSampleMs} ms, first rate() after ${firstRateMs} ms`,
    );
  }, 30_000);

  it('waitForData gives up with the last answer', async () => {
    await expect(waitForData(prometheus.address, 'no_such_metric', 300)).rejects.toThrow(
      /^no data for no_such_metric after 300 ms; last answer: \{"status":"success"/,
    );
  });

  it('stop() ends the process and removes its directory', async () => {
    const other = await startPrometheus({ targets: [] });
    await other.stop();
    expect(existsSync(`/proc/${other.pid}`)).toBe(false);
    expect(existsSync(other.dir)).toBe(false);
    await expect(fetch(`${other.address}/-/ready`)).rejects.toThrow();
  });
});
