import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createTcpServer } from 'node:net';
import { tmpdir } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { MarshalError } from '../../model/errors.js';
import { HealthCheck, type HealthCheckConfig } from '../../model/schema.js';
import { freePort, recordingIO } from '../../testing/provider-testkit.js';
import { runCapture } from '../exec.js';
import { type RunCommand, runHealthChecks } from './index.js';

const servers: { close(): unknown }[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await new Promise((resolve) => (server as Server).close(resolve));
});

/** An HTTP server whose n-th answer (0-based) is `answers(n)`. */
async function httpServer(answers: (n: number) => { status: number; body: string }): Promise<string> {
  let n = 0;
  const server = createHttpServer((_req, res) => {
    const { status, body } = answers(n++);
    res.writeHead(status).end(body);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (typeof address !== 'object' || address === null) throw new Error('no address');
  return `http://127.0.0.1:${address.port}/health`;
}

const runCommand: RunCommand = (command, signal) =>
  runCapture({ command, cwd: tmpdir(), env: process.env, signal });

function check(input: Record<string, unknown>): HealthCheckConfig {
  return HealthCheck.parse({ interval: 10, timeout: 1000, ...input });
}

async function failure(promise: Promise<unknown>): Promise<MarshalError> {
  const error = await promise.then(
    () => null,
    (err: unknown) => err,
  );
  if (!(error instanceof MarshalError)) throw new Error(`expected a MarshalError, got ${String(error)}`);
  return error;
}

describe('http checks', () => {
  it('pass on the expected status and log one line', async () => {
    const url = await httpServer(() => ({ status: 200, body: 'ok v1' }));
    const io = recordingIO();
    await runHealthChecks([check({ http: { url } })], io, runCommand);
    expect(io.text()).toEqual([
      expect.stringMatching(new RegExp(`^${url}: healthy after 1 probe \\(\\d+ms\\)$`)),
    ]);
  });

  it('fail after failureThreshold consecutive wrong answers, with a clear message', async () => {
    const url = await httpServer(() => ({ status: 500, body: 'boom' }));
    const io = recordingIO();
    const error = await failure(
      runHealthChecks([check({ http: { url }, failureThreshold: 3 })], io, runCommand),
    );
    expect(error.code).toBe('HEALTH_CHECK_FAILED');
    expect(error.message).toBe(`${url} answered 500 (expected 200) — 3 consecutive failures`);
    expect(error.details).toEqual({ check: url, failures: 3, lastResult: 'answered 500 (expected 200)' });
    expect(io.text()).toEqual(
      [1, 2, 3].map((n) => `${url}: probe ${n}/3 failed: answered 500 (expected 200)`),
    );
  });

  it('count only consecutive failures, and need successThreshold consecutive passes', async () => {
    const answers = [500, 200, 500, 200, 200];
    const url = await httpServer((n) => ({ status: answers[n] ?? 500, body: '' }));
    const io = recordingIO();
    await runHealthChecks(
      [check({ http: { url }, failureThreshold: 2, successThreshold: 2 })],
      io,
      runCommand,
    );
    expect(io.text().at(-1)).toMatch(/healthy after 5 probes/);
  });

  it('fail when the body does not contain the text', async () => {
    const url = await httpServer(() => ({ status: 200, body: 'ok v1\n' }));
    const error = await failure(
      runHealthChecks(
        [check({ http: { url, body: 'ok v2' }, failureThreshold: 1 })],
        recordingIO(),
        runCommand,
      ),
    );
    expect(error.message).toBe(
      `${url} answered 200 without a body containing "ok v2" (got "ok v1") — 1 consecutive failure`,
    );
  });

  it('match the body against a /regex/', async () => {
    const url = await httpServer(() => ({ status: 200, body: 'OK version 12' }));
    await runHealthChecks([check({ http: { url, body: '/ok version \\d+/i' } })], recordingIO(), runCommand);
  });

  it('report connection refused clearly', async () => {
    const url = `http://127.0.0.1:${await freePort()}/health`;
    const io = recordingIO();
    const error = await failure(
      runHealthChecks([check({ http: { url }, failureThreshold: 2 })], io, runCommand),
    );
    expect(error.message).toBe(`${url}: connection refused — 2 consecutive failures`);
    expect(io.text()[0]).toBe(`${url}: probe 1/2 failed: connection refused`);
  });

  it('time a slow probe out', async () => {
    const server = createHttpServer(() => undefined);
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/`;
    const error = await failure(
      runHealthChecks(
        [check({ http: { url }, timeout: 100, failureThreshold: 1 })],
        recordingIO(),
        runCommand,
      ),
    );
    expect(error.message).toBe(`${url}: timed out after 100ms — 1 consecutive failure`);
    // The request it never answered would keep close() waiting.
    server.closeAllConnections();
  });

  it('reject a URL that can never work as CONFIG_INVALID', async () => {
    const error = await failure(
      runHealthChecks([check({ http: { url: 'localhost:80' } })], recordingIO(), runCommand),
    );
    expect(error.code).toBe('CONFIG_INVALID');
  });
});

describe('tcp checks', () => {
  it('pass when the port accepts a connection', async () => {
    const server = createTcpServer((socket) => socket.destroy());
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = String((server.address() as { port: number }).port);
    const io = recordingIO();
    await runHealthChecks([check({ tcp: { port } })], io, runCommand);
    expect(io.text()[0]).toMatch(new RegExp(`^tcp 127.0.0.1:${port}: healthy after 1 probe`));
  });

  it('fail when nothing listens', async () => {
    const port = await freePort();
    const error = await failure(
      runHealthChecks(
        [check({ name: 'db port', tcp: { port }, failureThreshold: 2 })],
        recordingIO(),
        runCommand,
      ),
    );
    expect(error.message).toBe('db port: connection refused — 2 consecutive failures');
  });
});

describe('command checks', () => {
  it('pass when the command exits 0', async () => {
    const io = recordingIO();
    await runHealthChecks([check({ command: 'test -d /' })], io, runCommand);
    expect(io.text()[0]).toMatch(/^command `test -d \/`: healthy after 1 probe/);
  });

  it('fail with the exit status and the last output line', async () => {
    const error = await failure(
      runHealthChecks(
        [check({ command: 'echo not ready; exit 2', failureThreshold: 2 })],
        recordingIO(),
        runCommand,
      ),
    );
    expect(error.message).toBe(
      'command `echo not ready; exit 2`: exited 2: not ready — 2 consecutive failures',
    );
  });

  it('time out a command that hangs', async () => {
    const error = await failure(
      runHealthChecks(
        [check({ command: 'sleep 10', timeout: 100, failureThreshold: 1 })],
        recordingIO(),
        runCommand,
      ),
    );
    expect(error.message).toBe('command `sleep 10`: timed out after 100ms — 1 consecutive failure');
  });
});

describe('runHealthChecks', () => {
  it('needs every check to pass; the first failure stops the others', async () => {
    const good = await httpServer(() => ({ status: 200, body: '' }));
    const slow = `http://127.0.0.1:${await freePort()}/`;
    const started = Date.now();
    const error = await failure(
      runHealthChecks(
        [
          check({ http: { url: good } }),
          check({ command: 'exit 1', failureThreshold: 1 }),
          check({ http: { url: slow }, failureThreshold: 1000 }),
        ],
        recordingIO(),
        runCommand,
      ),
    );
    expect(error.message).toBe('command `exit 1`: exited 1 — 1 consecutive failure');
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('throws the abort reason when aborted while probing', async () => {
    const url = `http://127.0.0.1:${await freePort()}/`;
    const io = recordingIO();
    const reason = new MarshalError('TIMEOUT', 'step timed out after 5s');
    setTimeout(() => io.controller.abort(reason), 50);
    await expect(
      runHealthChecks([check({ http: { url }, failureThreshold: 1000 })], io, runCommand),
    ).rejects.toBe(reason);
  });

  it('waits initialDelay, then probes every interval', async () => {
    const answers = [503, 503, 200];
    const url = await httpServer((n) => ({ status: answers[n] ?? 200, body: '' }));
    const sleeps: number[] = [];
    const fakeSleep = async (ms: number) => {
      sleeps.push(ms);
    };
    await runHealthChecks(
      [check({ http: { url }, initialDelay: 1500, interval: 60_000 })],
      recordingIO(),
      runCommand,
      fakeSleep,
    );
    expect(sleeps.length).toBe(3);
    expect(sleeps[0]).toBe(1500);
    // The interval runs from probe start to probe start.
    for (const ms of sleeps.slice(1)) expect(ms).toBeGreaterThan(59_000);
  });

  it('passes with no checks', async () => {
    await runHealthChecks([], recordingIO(), runCommand);
  });
});
