import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MarshalError } from '../../model/errors.js';
import type { Backend, Router } from '../../model/traffic.js';
import {
  countAnswers,
  type HaproxyLb,
  type HttpBackend,
  startHaproxy,
  startHttpBackends,
} from '../../testing/lb.js';
import { providerRefusal, recordingIO } from '../../testing/provider-testkit.js';
import { HaproxyRouter } from './haproxy.js';
import { sendCommand } from './haproxy-socket.js';
import { createRouter } from './index.js';

let blue: HttpBackend;
let green: HttpBackend;
let canary: HttpBackend;
let lb: HaproxyLb;
let router: Router;
beforeAll(async () => {
  [blue, green, canary] = (await startHttpBackends(['blue', 'green', 'canary'])) as [
    HttpBackend,
    HttpBackend,
    HttpBackend,
  ];
  lb = await startHaproxy({ backends: weights(100, 0) });
  router = createRouter(lb.routerConfig, lb.dir);
});
afterAll(async () => {
  await lb?.stop();
  await Promise.all([blue, green, canary].map((b) => b?.close()));
});

function weights(b: number, g: number): Backend[] {
  return [
    { name: 'blue', address: '127.0.0.1', port: blue.port, weight: b },
    { name: 'green', address: '127.0.0.1', port: green.port, weight: g },
  ];
}

const serverLines = () =>
  readFileSync(lb.configPath, 'utf8')
    .split('\n')
    .filter((l) => l.trim().startsWith('server '))
    .map((l) => l.trim());

describe('haproxy router', () => {
  it('switches at runtime, verified by current(), and rewrites haproxy.cfg with the same weights', async () => {
    const io = recordingIO();
    await router.apply(weights(0, 100), io);
    expect(await router.current(io)).toEqual(weights(0, 100));
    expect(await countAnswers(lb.url, 10)).toEqual({ green: 10 });
    expect(serverLines()).toEqual([
      `server blue 127.0.0.1:${blue.port} weight 0 disabled`,
      `server green 127.0.0.1:${green.port} weight 100`,
    ]);
    expect(io.text()).toHaveLength(1);
    expect(io.text()[0]).toMatch(
      /^haproxy: app → blue \(0\), green \(100\); 3 runtime command\(s\), verified and .*haproxy\.cfg rewritten in \d+ ms$/,
    );
    // The runtime state is lost on reload: the rewritten file keeps it.
    await lb.reload();
    expect(await router.current(io)).toEqual(weights(0, 100));
    expect(await countAnswers(lb.url, 5)).toEqual({ green: 5 });
  });

  it('splits traffic by weight', async () => {
    await router.apply(weights(90, 10), recordingIO());
    const counts = await countAnswers(lb.url, 400);
    expect(Math.abs((counts.blue ?? 0) / 400 - 0.9)).toBeLessThanOrEqual(0.1);
    expect(counts.green).toBeGreaterThan(0);
  });

  it('adds a server the running haproxy does not have, and removes one no longer listed', async () => {
    const withCanary = [
      ...weights(50, 0),
      { name: 'canary', address: 'localhost', port: canary.port, weight: 50 },
    ];
    await router.apply(withCanary, recordingIO());
    expect(await router.current(recordingIO())).toEqual([
      ...weights(50, 0),
      { ...withCanary[2], address: '127.0.0.1' },
    ]);
    const counts = await countAnswers(lb.url, 40);
    expect(counts).toEqual({ blue: 20, canary: 20 });
    expect(serverLines()).toContain(`server canary localhost:${canary.port} weight 50`);
    await lb.reload();
    expect(await countAnswers(lb.url, 4)).toEqual({ blue: 2, canary: 2 });

    // Without canary in the list, it leaves rotation and the running process (and the file).
    await router.apply(weights(100, 0), recordingIO());
    expect(await router.current(recordingIO())).toEqual(weights(100, 0));
    expect(serverLines().some((l) => l.includes('canary'))).toBe(false);
  });

  it('refuses what haproxy -c rejects and changes nothing', async () => {
    const before = readFileSync(lb.configPath, 'utf8');
    const bad = [...weights(100, 0), { name: 'ghost', address: 'nonexistent.invalid', port: 80, weight: 1 }];
    const err = await providerRefusal(router.apply(bad, recordingIO()));
    expect(err.message).toMatch(
      /^haproxy: the new servers of app do not pass haproxy -c: .*nonexistent\.invalid/,
    );
    expect(err.retryable).toBe(false);
    expect(readFileSync(lb.configPath, 'utf8')).toBe(before);
    expect(await router.current(recordingIO())).toEqual(weights(100, 0));
  });

  it('fails, changing nothing, when the backend is not in haproxy.cfg or the socket does not answer', async () => {
    const before = readFileSync(lb.configPath, 'utf8');
    const noBackend = new HaproxyRouter({ ...lb.routerConfig, backend: 'api' });
    expect((await providerRefusal(noBackend.apply(weights(0, 100), recordingIO()))).message).toMatch(
      /cannot rewrite .*haproxy\.cfg: it has no `backend api` section/,
    );
    const noSocket = new HaproxyRouter({ ...lb.routerConfig, socket: `${lb.dir}/missing.sock` });
    expect((await providerRefusal(noSocket.apply(weights(0, 100), recordingIO()))).message).toMatch(
      /^haproxy: cannot use the admin socket .*missing\.sock: connect ENOENT/,
    );
    expect(readFileSync(lb.configPath, 'utf8')).toBe(before);
    expect(await router.current(recordingIO())).toEqual(weights(100, 0));
  });

  it('refuses every weight 0, and throws the abort reason of a cancelled step, changing nothing', async () => {
    const before = readFileSync(lb.configPath, 'utf8');
    expect((await providerRefusal(router.apply(weights(0, 0), recordingIO()))).message).toContain(
      'every backend has weight 0',
    );
    const controller = new AbortController();
    const reason = new MarshalError('TIMEOUT', 'step timed out');
    controller.abort(reason);
    await expect(router.apply(weights(0, 100), recordingIO(controller))).rejects.toBe(reason);
    expect(readFileSync(lb.configPath, 'utf8')).toBe(before);
    expect(await router.current(recordingIO())).toEqual(weights(100, 0));
  });

  it('puts the previous runtime state back when a command fails half-way, and leaves haproxy.cfg alone', async () => {
    const before = readFileSync(lb.configPath, 'utf8');
    // A socket in front of haproxy's that refuses one command: the switch fails after
    // green was already enabled.
    const proxy = await faultySocket(
      lb.socketPath,
      `${lb.dir}/faulty.sock`,
      'set server app/blue state maint',
    );
    try {
      const io = recordingIO();
      const faulty = new HaproxyRouter({ ...lb.routerConfig, socket: proxy.path });
      const err = await providerRefusal(faulty.apply(weights(0, 100), io));
      expect(err.message).toBe('haproxy: `set server app/blue state maint` failed: Permission denied.');
      expect(io.text()).toEqual(['haproxy: put app back as it was']);
      expect(proxy.seen).toEqual([
        'show servers state app',
        'set weight app/green 100',
        'set server app/green state ready',
        'set server app/blue state maint',
        'show servers state app',
        'set server app/green state maint',
        'set weight app/green 0',
      ]);
    } finally {
      await proxy.close();
    }
    expect(await router.current(recordingIO())).toEqual(weights(100, 0));
    expect(await countAnswers(lb.url, 5)).toEqual({ blue: 5 });
    expect(readFileSync(lb.configPath, 'utf8')).toBe(before);
  });
});

/** A Unix socket that forwards each command to haproxy's, except `refuse`, which it answers with an error. */
async function faultySocket(target: string, path: string, refuse: string) {
  const seen: string[] = [];
  const server = createServer({ allowHalfOpen: true }, (conn) => {
    let text = '';
    conn.on('data', async (chunk: Buffer) => {
      text += chunk.toString();
      if (!text.endsWith('\n')) return;
      const command = text.trim();
      seen.push(command);
      const answer =
        command === refuse
          ? 'Permission denied.\n'
          : await sendCommand(target, command, new AbortController().signal);
      conn.end(answer);
    });
  });
  await new Promise<void>((resolve) => server.listen(path, resolve));
  return { path, seen, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}
