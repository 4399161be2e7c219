import { existsSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countAnswers, type HttpBackend, startHaproxy, startHttpBackends, startNginx } from './lb.js';

let backends: HttpBackend[];
beforeAll(async () => {
  backends = await startHttpBackends(['blue', 'green']);
});
afterAll(async () => {
  await Promise.all(backends.map((b) => b.close()));
});

const weights = (blue: number, green: number) => {
  const [b, g] = backends as [HttpBackend, HttpBackend];
  return [
    { name: 'blue', address: b.address, port: b.port, weight: blue },
    { name: 'green', address: g.address, port: g.port, weight: green },
  ];
};

describe('startNginx', () => {
  it('serves the weighted backend on a free port, and stop() ends it and removes its directory', async () => {
    const lb = await startNginx({ backends: weights(100, 0) });
    try {
      expect(lb.port).toBeGreaterThan(0);
      expect(await countAnswers(lb.url, 5)).toEqual({ blue: 5 });
      expect(readFileSync(lb.upstreamPath, 'utf8')).toContain('upstream app {');
      expect(lb.routerConfig).toEqual({
        type: 'nginx',
        upstream: 'app',
        file: lb.upstreamPath,
        config: lb.configPath,
        pidFile: lb.pidFile,
      });
      expect(Number(readFileSync(lb.pidFile, 'utf8'))).toBe(lb.pid);
    } finally {
      await lb.stop();
    }
    expect(existsSync(lb.dir)).toBe(false);
    expect(() => process.kill(lb.pid, 0)).toThrow();
  });
});

describe('startHaproxy', () => {
  it('serves the weighted backend, exposes its admin socket, reloads and stops', async () => {
    const lb = await startHaproxy({ backend: 'web', backends: weights(0, 100) });
    try {
      expect(await countAnswers(lb.url, 5)).toEqual({ green: 5 });
      expect(lb.routerConfig).toEqual({
        type: 'haproxy',
        backend: 'web',
        socket: lb.socketPath,
        configFile: lb.configPath,
      });
      expect(readFileSync(lb.configPath, 'utf8')).toContain('  server blue 127.0.0.1:');
      await lb.reload();
      expect(await countAnswers(lb.url, 3)).toEqual({ green: 3 });
    } finally {
      await lb.stop();
    }
    expect(existsSync(lb.dir)).toBe(false);
    expect(() => process.kill(lb.pid, 0)).toThrow();
  });
});
