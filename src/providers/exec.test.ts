import { chmod, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MarshalError } from '../model/errors.js';
import { PidLedger, removeDir, tempDir } from '../testing/provider-testkit.js';
import { commandFailed, type RunProcessOptions, runCapture, runProcess } from './exec.js';
import { isAlive, waitUntil } from './process.js';

let dir: string;
const ledger = new PidLedger();

beforeAll(async () => {
  dir = await tempDir();
});
afterEach(() => ledger.killAll());
afterAll(() => removeDir(dir));

function run(command: string, extra: Partial<RunProcessOptions> = {}) {
  const lines: [string, string][] = [];
  const promise = runProcess({
    command,
    cwd: dir,
    env: process.env,
    signal: new AbortController().signal,
    onLine: (line, stream) => lines.push([stream, line]),
    ...extra,
  });
  return { lines, promise };
}

/** Resolves with the first stdout line of a running command (commands print pids to watch). */
function firstLines(lines: [string, string][], count: number): Promise<string[]> {
  return waitUntil(() => lines.length >= count, 5000).then(() => lines.slice(0, count).map(([, l]) => l));
}

describe('runProcess', () => {
  it('runs a simple command without a shell and streams its lines', async () => {
    const { lines, promise } = run('echo hello   world');
    expect(await promise).toEqual({ exitCode: 0, signal: null, lastStderr: null });
    expect(lines).toEqual([['stdout', 'hello world']]);
  });

  it('runs through the shell when needed, keeping stdout and stderr apart', async () => {
    const { lines, promise } = run('echo "out $((1 + 2))"; echo err1 >&2; echo err2 >&2; exit 4');
    expect(await promise).toEqual({ exitCode: 4, signal: null, lastStderr: 'err2' });
    expect(lines.filter(([s]) => s === 'stdout')).toEqual([['stdout', 'out 3']]);
    expect(lines.filter(([s]) => s === 'stderr')).toEqual([
      ['stderr', 'err1'],
      ['stderr', 'err2'],
    ]);
  });

  it('reports a missing command as the shell would: 127', async () => {
    const { lines, promise } = run('no-such-command-marshal --flag');
    expect(await promise).toMatchObject({ exitCode: 127 });
    expect(lines).toEqual([['stderr', 'no-such-command-marshal: not found']]);
  });

  it('runs a script without #! through the shell', async () => {
    const script = join(dir, 'plain-script');
    await writeFile(script, 'echo from plain script\n');
    await chmod(script, 0o755);
    const { lines, promise } = run('./plain-script');
    expect(await promise).toMatchObject({ exitCode: 0 });
    expect(lines).toEqual([['stdout', 'from plain script']]);
  });

  it('rejects with PROVIDER_ERROR when the working directory is missing', async () => {
    const { promise } = run('true', { cwd: join(dir, 'missing') });
    await expect(promise).rejects.toMatchObject({ code: 'PROVIDER_ERROR' });
  });

  it('on abort, kills the whole process group and throws the abort reason', async () => {
    const controller = new AbortController();
    // The shell starts a grandchild in the background and prints both pids.
    const { lines, promise } = run('echo $$; sleep 30 & echo $!; wait', { signal: controller.signal });
    const pids = (await firstLines(lines, 2)).map(Number);
    for (const pid of pids) ledger.add(pid);
    expect(pids.every(isAlive)).toBe(true);
    const reason = new MarshalError('TIMEOUT', 'step timed out after 1s');
    controller.abort(reason);
    await expect(promise).rejects.toBe(reason);
    expect(pids.map(isAlive)).toEqual([false, false]);
  });

  it('escalates to SIGKILL when the group ignores SIGTERM', async () => {
    const controller = new AbortController();
    const { lines, promise } = run("trap '' TERM; sleep 30 & echo $!; wait", { signal: controller.signal });
    const [pid] = (await firstLines(lines, 1)).map(Number);
    ledger.add(pid);
    const started = Date.now();
    controller.abort();
    const error = await promise.then(
      () => null,
      (err: unknown) => err,
    );
    expect(error).toBeInstanceOf(MarshalError);
    expect((error as MarshalError).code).toBe('CANCELLED');
    expect(Date.now() - started).toBeGreaterThanOrEqual(1900);
    expect(isAlive(pid as number)).toBe(false);
  });

  it('throws at once when the signal is already aborted', async () => {
    const controller = new AbortController();
    controller.abort(new MarshalError('CANCELLED', 'interrupted'));
    await expect(run('true', { signal: controller.signal }).promise).rejects.toMatchObject({
      message: 'interrupted',
    });
  });

  it('does not wait for a background child that keeps the pipes open', async () => {
    const started = Date.now();
    const { lines, promise } = run('sleep 5 & echo $!; echo done');
    expect(await promise).toMatchObject({ exitCode: 0 });
    ledger.add(Number(lines[0]?.[1]));
    expect(Date.now() - started).toBeLessThan(2000);
  });
});

describe('commandFailed', () => {
  it('names the exit status, the command and the last stderr line', () => {
    const error = commandFailed('npm run migrate', {
      exitCode: 3,
      signal: null,
      lastStderr: 'relation missing',
    });
    expect(error.code).toBe('COMMAND_FAILED');
    expect(error.retryable).toBe(true);
    expect(error.message).toBe('command exited 3: npm run migrate — relation missing');
    expect(error.details).toEqual({ exitCode: 3, signal: null });
  });

  it('names the signal of a killed command', () => {
    const error = commandFailed('x'.repeat(300), { exitCode: null, signal: 'SIGKILL', lastStderr: null });
    expect(error.message).toBe(`command killed by SIGKILL: ${'x'.repeat(200)}…`);
    expect(error.details).toEqual({ exitCode: null, signal: 'SIGKILL' });
  });
});

describe('runCapture', () => {
  it('keeps the tail of the output and maps signals to 128 + n', async () => {
    const signal = new AbortController().signal;
    expect(await runCapture({ command: 'seq 1 30', cwd: dir, env: process.env, signal }, 3)).toEqual({
      exitCode: 0,
      output: '28\n29\n30',
    });
    expect(await runCapture({ command: 'kill -9 $$', cwd: dir, env: process.env, signal })).toEqual({
      exitCode: 137,
      output: '',
    });
  });
});
