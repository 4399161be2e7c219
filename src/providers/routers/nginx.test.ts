import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MarshalError } from '../../model/errors.js';
import type { Backend } from '../../model/traffic.js';
import {
  countAnswers,
  type HttpBackend,
  type NginxLb,
  startHttpBackends,
  startNginx,
} from '../../testing/lb.js';
import { providerRefusal, recordingIO } from '../../testing/provider-testkit.js';
import { createRouter } from './index.js';
import { NginxRouter } from './nginx.js';
import { renderUpstream } from './nginx-render.js';

let blue: HttpBackend;
let green: HttpBackend;
let lb: NginxLb;
beforeAll(async () => {
  [blue, green] = (await startHttpBackends(['blue', 'green'])) as [HttpBackend, HttpBackend];
  lb = await startNginx({ backends: weights(100, 0) });
});
afterAll(async () => {
  await lb?.stop();
  await Promise.all([blue?.close(), green?.close()]);
});

function weights(b: number, g: number): Backend[] {
  return [
    { name: 'blue', address: '127.0.0.1', port: blue.port, weight: b },
    { name: 'green', address: '127.0.0.1', port: green.port, weight: g },
  ];
}

describe('nginx router', () => {
  it('switches 100/0 then 0/100: only the weighted backend answers, and each switch logs one line', async () => {
    // Paths relative to the project directory, as marshal.yaml gives them.
    const router = createRouter(
      { type: 'nginx', upstream: 'app', file: 'upstream.conf', config: 'nginx.conf', pidFile: 'nginx.pid' },
      lb.dir,
    );
    const io = recordingIO();
    await router.apply(weights(0, 100), io);
    expect(await countAnswers(lb.url, 20)).toEqual({ green: 20 });
    expect(readFileSync(lb.upstreamPath, 'utf8')).toBe(renderUpstream('app', weights(0, 100)));
    await router.apply(weights(100, 0), io);
    expect(await countAnswers(lb.url, 20)).toEqual({ blue: 20 });
    expect(io.text()).toHaveLength(2);
    expect(io.text()[0]).toMatch(
      /^nginx: app → blue \(0\), green \(100\); reloaded in \d+ ms \(workers \d+ → \d+\)$/,
    );
    expect(await router.current(io)).toBeNull();
  });

  it('splits 90/10 by weight over 400 requests', async () => {
    const router = createRouter(lb.routerConfig, lb.dir);
    await router.apply(weights(90, 10), recordingIO());
    const counts = await countAnswers(lb.url, 400);
    expect(Object.keys(counts).sort()).toEqual(['blue', 'green']);
    expect(Math.abs((counts.blue ?? 0) / 400 - 0.9)).toBeLessThanOrEqual(0.1);
    await router.apply(weights(100, 0), recordingIO());
  });

  it('refuses a port of 0 before touching anything', async () => {
    const router = createRouter(lb.routerConfig, lb.dir);
    const before = readFileSync(lb.upstreamPath, 'utf8');
    const err = await providerRefusal(
      router.apply([{ name: 'green', address: '127.0.0.1', port: 0, weight: 100 }], recordingIO()),
    );
    expect(err.message).toBe('nginx: refused to apply: green: port 0 is not 1–65535');
    expect(err.retryable).toBe(false);
    expect(readFileSync(lb.upstreamPath, 'utf8')).toBe(before);
    expect(await countAnswers(lb.url, 5)).toEqual({ blue: 5 });
  });

  it('refuses what nginx -t rejects (an unresolvable address), puts the old file back, and keeps serving', async () => {
    const router = createRouter(lb.routerConfig, lb.dir);
    const before = readFileSync(lb.upstreamPath, 'utf8');
    const bad = [...weights(0, 0), { name: 'ghost', address: 'nonexistent.invalid', port: 80, weight: 100 }];
    const err = await providerRefusal(router.apply(bad, recordingIO()));
    expect(err.message).toMatch(
      /^nginx: the new upstream app does not pass nginx -t: .*host not found in upstream/,
    );
    expect(readFileSync(lb.upstreamPath, 'utf8')).toBe(before);
    expect(await countAnswers(lb.url, 5)).toEqual({ blue: 5 });
  });

  it('refuses every weight 0', async () => {
    const router = createRouter(lb.routerConfig, lb.dir);
    const err = await providerRefusal(router.apply(weights(0, 0), recordingIO()));
    expect(err.message).toContain('every backend has weight 0');
  });

  it('fails when the pid file does not name an nginx master, putting the old file back', async () => {
    const pidFile = join(lb.dir, 'not-nginx.pid');
    writeFileSync(pidFile, `${process.pid}\n`);
    const router = new NginxRouter({ ...lb.routerConfig, pidFile });
    const before = readFileSync(lb.upstreamPath, 'utf8');
    const err = await providerRefusal(router.apply(weights(0, 100), recordingIO()));
    expect(err.message).toMatch(/^nginx: pid \d+ from .*not-nginx\.pid is not nginx/);
    expect(readFileSync(lb.upstreamPath, 'utf8')).toBe(before);
  });

  it('fails within the reload timeout when the master does not reload', async () => {
    // A stopped master cannot act on HUP: its workers stay, so the reload is never seen.
    const router = new NginxRouter({ ...lb.routerConfig, reloadTimeoutMs: 300 });
    const before = readFileSync(lb.upstreamPath, 'utf8');
    process.kill(lb.pid, 'SIGSTOP');
    try {
      const err = await providerRefusal(router.apply(weights(0, 100), recordingIO()));
      expect(err.message).toMatch(/did not start new workers within 300 ms of HUP/);
      expect(readFileSync(lb.upstreamPath, 'utf8')).toBe(before);
    } finally {
      process.kill(lb.pid, 'SIGCONT');
    }
    // The HUP was queued while stopped: it reloads the restored (old) file.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await countAnswers(lb.url, 5)).toEqual({ blue: 5 });
  });

  it('throws the abort reason of a cancelled step', async () => {
    const router = createRouter(lb.routerConfig, lb.dir);
    const controller = new AbortController();
    const reason = new MarshalError('TIMEOUT', 'step timed out');
    controller.abort(reason);
    await expect(router.apply(weights(0, 100), recordingIO(controller))).rejects.toBe(reason);
    expect(await countAnswers(lb.url, 3)).toEqual({ blue: 3 });
  });
});
