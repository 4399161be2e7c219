import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MarshalError } from '../../model/errors.js';
import type { StepIO } from '../../model/provider.js';
import { commandEnv } from './command.js';
import { createRouter } from './index.js';

const dir = mkdtempSync(join(tmpdir(), 'marshal-command-router-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const backends = [
  { name: 'green-web1', address: '10.0.0.5', port: 8081, weight: 100 },
  { name: 'blue-web1', address: '10.0.0.5', port: 8080, weight: 0 },
];

function testIO(signal = new AbortController().signal): StepIO & { lines: [string, string | undefined][] } {
  const lines: [string, string | undefined][] = [];
  return { signal, lines, log: (line, stream) => lines.push([line, stream]) };
}

describe('command router', () => {
  it('passes the backends as JSON in MARSHAL_BACKENDS, runs in the project directory, streams its output', async () => {
    const router = createRouter(
      { type: 'command', run: 'printf %s "$MARSHAL_BACKENDS" > got.json; echo applied' },
      dir,
    );
    const io = testIO();
    await router.apply(backends, io);
    expect(JSON.parse(readFileSync(join(dir, 'got.json'), 'utf8'))).toEqual(backends);
    expect(io.lines[0]).toEqual(['applied', 'stdout']);
    expect(io.lines[1]?.[0]).toMatch(
      /^command: green-web1 \(100\), blue-web1 \(0\); `printf .*` succeeded in \d+ ms$/,
    );
    expect(await router.current(io)).toBeNull();
  });

  it('passes only the backend fields', () => {
    const extra = { name: 'green-web1', address: '10.0.0.5', port: 8081, weight: 100, secret: 'x' };
    expect(commandEnv([extra])).toEqual({
      MARSHAL_BACKENDS: '[{"name":"green-web1","address":"10.0.0.5","port":8081,"weight":100}]',
    });
  });

  it('fails with PROVIDER_ERROR naming the exit status and the last stderr line', async () => {
    const router = createRouter({ type: 'command', run: 'echo "lb said no" >&2; exit 3' }, dir);
    const io = testIO();
    const err = await router.apply(backends, io).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MarshalError);
    expect((err as MarshalError).code).toBe('PROVIDER_ERROR');
    expect((err as MarshalError).message).toBe(
      'command router: `echo "lb said no" >&2; exit 3` exited 3 — lb said no',
    );
    expect(io.lines).toEqual([['lb said no', 'stderr']]);
  });

  it('stops the command and throws the abort reason when the step is cancelled', async () => {
    const router = createRouter({ type: 'command', run: 'sleep 30' }, dir);
    const controller = new AbortController();
    const reason = new MarshalError('CANCELLED', 'cancelled by the user');
    setTimeout(() => controller.abort(reason), 50);
    const started = Date.now();
    await expect(router.apply(backends, testIO(controller.signal))).rejects.toBe(reason);
    expect(Date.now() - started).toBeLessThan(2000);
  });
});
