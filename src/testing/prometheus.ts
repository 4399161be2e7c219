/**
 * A real Prometheus for tests: Debian's `/usr/bin/prometheus` on a free port
 * of 127.0.0.1, scraping the given targets every second, with its storage in
 * a temp directory. Plus a tiny `/metrics` server whose text the test drives.
 *
 * Prometheus waits about 5 s before its first scrape, and `rate()` needs two
 * samples: the first useful `rate(x[5s])` comes ~7 s after start. Tests wait
 * for it with {@link waitForData} rather than sleeping a guess.
 *
 * `stop()` (from afterAll) kills Prometheus and deletes the directory; a
 * watchdog process does the same if the test process dies first.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync, rmSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './provider-testkit.js';

/** Where Debian's package installs it. */
export const PROMETHEUS_BINARY = '/usr/bin/prometheus';

export interface PrometheusOptions {
  /** `host:port` of each endpoint serving `/metrics`. */
  targets: string[];
  /** Scrape (and rule evaluation) interval; default `1s`. */
  scrapeInterval?: string;
  binary?: string;
  /** How long to wait for `/-/ready`; default 20 s. */
  readyTimeoutMs?: number;
}

export interface TestPrometheus {
  /** `http://127.0.0.1:PORT` */
  address: string;
  port: number;
  pid: number;
  /** Config, storage, log and pid file live here. */
  dir: string;
  /** When the process was spawned (Date.now()), to measure time to first data. */
  startedAt: number;
  /** Stops Prometheus (TERM, then KILL after 5 s) and deletes its directory. */
  stop(): Promise<void>;
}

/** The prometheus.yml for `targets`. */
export function prometheusConfig(targets: readonly string[], scrapeInterval = '1s'): string {
  return [
    'global:',
    `  scrape_interval: ${scrapeInterval}`,
    `  evaluation_interval: ${scrapeInterval}`,
    'scrape_configs:',
    '  - job_name: marshal-test',
    '    static_configs:',
    `      - targets: [${targets.map((t) => JSON.stringify(t)).join(', ')}]`,
    '',
  ].join('\n');
}

/** Starts Prometheus; resolves once `/-/ready` answers 200. */
export async function startPrometheus(options: PrometheusOptions): Promise<TestPrometheus> {
  const binary = options.binary ?? PROMETHEUS_BINARY;
  const dir = await mkdtemp(join(tmpdir(), 'marshal-prometheus-'));
  const configFile = join(dir, 'prometheus.yml');
  const logFile = join(dir, 'prometheus.log');
  await mkdir(join(dir, 'data'));
  await writeFile(configFile, prometheusConfig(options.targets, options.scrapeInterval));
  const reaper = startReaper(dir);
  // Another process may take the free port before Prometheus binds it: retry on a fresh one.
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const startedAt = Date.now();
    const log = openSync(logFile, 'a');
    const child = spawn(
      binary,
      [
        `--config.file=${configFile}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--web.enable-lifecycle',
        '--log.level=warn',
      ],
      { detached: true, stdio: ['ignore', log, log] },
    );
    child.unref();
    closeSync(log);
    const exited = new Promise<'exited'>((resolve) => {
      child.once('exit', () => resolve('exited'));
      child.once('error', () => resolve('exited'));
    });
    const pid = child.pid ?? 0;
    if (pid > 0) await writeFile(join(dir, 'prometheus.pid'), `${pid}\n`);
    const address = `http://127.0.0.1:${port}`;
    const outcome = await Promise.race([waitReady(address, options.readyTimeoutMs ?? 20_000), exited]);
    if (outcome === 'ready') {
      return { address, port, pid, dir, startedAt, stop: () => stopAll(child, dir, reaper) };
    }
    await stopProcess(child);
    const tail = (await readFile(logFile, 'utf8').catch(() => '')).trim().split('\n').slice(-3).join('\n');
    if (outcome === 'exited' && attempt < 3 && /address already in use/.test(tail)) continue;
    await stopAll(null, dir, reaper);
    throw new Error(`prometheus on port ${port} did not become ready (${outcome}):\n${tail}`);
  }
}

/**
 * Polls the instant query `query` until it returns a sample that is a number
 * (not NaN); resolves with that value. Throws after `timeoutMs` with the last answer.
 */
export async function waitForData(address: string, query: string, timeoutMs = 20_000): Promise<number> {
  const url = `${address}/api/v1/query?query=${encodeURIComponent(query)}`;
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
      last = await response.text();
      const body = JSON.parse(last) as { data?: { resultType?: string; result?: unknown } };
      const result = body.data?.result;
      const sample =
        body.data?.resultType === 'scalar' ? result : Array.isArray(result) ? result[0]?.value : undefined;
      const value = Array.isArray(sample) ? Number(sample[1]) : Number.NaN;
      if (!Number.isNaN(value)) return value;
    } catch (err) {
      last = String(err);
    }
    await pause(100);
  }
  throw new Error(`no data for ${query} after ${timeoutMs} ms; last answer: ${last.slice(0, 300)}`);
}

/** A `/metrics` endpoint for Prometheus to scrape. */
export interface MetricsServer {
  /** `127.0.0.1:PORT`, for {@link PrometheusOptions.targets}. */
  target: string;
  url: string;
  close(): Promise<void>;
}

/** Serves `render()` (Prometheus text format) at `/metrics` on a free port of 127.0.0.1. */
export async function serveMetrics(render: () => string): Promise<MetricsServer> {
  const server: Server = createServer((req, res) => {
    if (req.url !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(render());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    target: `127.0.0.1:${port}`,
    url: `http://127.0.0.1:${port}/metrics`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function waitReady(address: string, timeoutMs: number): Promise<'ready' | 'timeout'> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const response = await fetch(`${address}/-/ready`, { signal: AbortSignal.timeout(1000) });
      await response.body?.cancel();
      if (response.status === 200) return 'ready';
    } catch {
      // Not listening yet.
    }
    await pause(50);
  }
  return 'timeout';
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** TERM, then KILL if it has not exited within 5 s. */
async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

async function stopAll(child: ChildProcess | null, dir: string, reaper: ChildProcess): Promise<void> {
  if (child !== null) await stopProcess(child);
  // The watchdog must never kill a pid the system has since given to someone else.
  rmSync(join(dir, 'prometheus.pid'), { force: true });
  reaper.kill('SIGKILL');
  await rm(dir, { recursive: true, force: true });
}

/**
 * A detached shell that cleans up if this process dies without calling stop()
 * (a crashed or killed test worker): it polls for our pid, then kills the
 * recorded Prometheus pid and deletes the directory.
 */
function startReaper(dir: string): ChildProcess {
  const script = [
    'while kill -0 "$1" 2>/dev/null; do sleep 1; done',
    '[ -f "$2/prometheus.pid" ] && kill -KILL "$(cat "$2/prometheus.pid")" 2>/dev/null',
    'rm -rf "$2"',
  ].join('\n');
  const child = spawn('/bin/sh', ['-c', script, 'marshal-prometheus-reaper', String(process.pid), dir], {
    detached: true,
    stdio: 'ignore',
  });
  child.unref();
  return child;
}
