import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MarshalError } from '../../model/errors.js';
import { isAlive } from '../process.js';
import { jobScript } from './job-script.js';
import { ShellPool } from './shell-pool.js';

const never = new AbortController().signal;
let pool: ShellPool;
afterEach(async () => {
  await pool?.close();
});

function run(
  command: string,
  options: { cwd?: string; env?: Record<string, string>; signal?: AbortSignal } = {},
) {
  const lines: string[] = [];
  const result = pool.run({
    command,
    cwd: options.cwd ?? tmpdir(),
    env: options.env ?? {},
    signal: options.signal ?? never,
    onLine: (line, stream) => lines.push(`${stream}: ${line}`),
  });
  return { lines, result };
}

describe('jobScript', () => {
  it('quotes the directory, the variables and the command exactly once', () => {
    expect(jobScript({ command: "echo 'a b'", cwd: '/srv/my app', env: { A: '1', B: "it's" } }, 'T1')).toBe(
      `(cd -- '/srv/my app' && export A=1 B='it'\\''s' && eval 'echo '\\''a b'\\'''\n) </dev/null\n` +
        `printf '\\036%s %d\\n' T1 "$?"\nprintf '\\036%s\\n' T1 >&2\n`,
    );
  });
});

describe('jobScript of a command the shell has nothing to interpret in', () => {
  const markers = `printf '\\036%s %d\\n' T2 "$?"\nprintf '\\036%s\\n' T2 >&2\n`;

  it('writes a builtin as it is, in a subshell, without eval', () => {
    expect(jobScript({ command: 'echo  ready', cwd: '/srv', env: { A: '1' } }, 'T2')).toBe(
      `(cd -- /srv && export A=1 && echo ready\n) </dev/null\n${markers}`,
    );
  });

  it('runs a program from the worker itself, its variables as assignments to it alone', () => {
    expect(jobScript({ command: 'grep  -qx v1 RELEASE', cwd: '/srv', env: { A: "it's" } }, 'T2')).toBe(
      `cd -- /srv && A='it'\\''s' grep -qx v1 RELEASE </dev/null\n${markers}`,
    );
  });
});

describe('ShellPool', () => {
  it('runs a program with its directory and variables, neither left to the next command', async () => {
    pool = new ShellPool(1);
    const dir = mkdtempSync(join(tmpdir(), 'pool-'));
    try {
      const first = run('printenv GREETING', { cwd: dir, env: { GREETING: 'hello there' } });
      expect((await first.result).exitCode).toBe(0);
      expect(first.lines).toEqual(['stdout: hello there']);
      const builtin = run('true', { env: { FAREWELL: 'bye' } });
      expect((await builtin.result).exitCode).toBe(0);
      const next = run('printenv GREETING FAREWELL');
      expect((await next.result).exitCode).toBe(1);
      expect(next.lines).toEqual([]);
      const where = run('/bin/pwd', { cwd: '/' });
      await where.result;
      expect(where.lines).toEqual(['stdout: /']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('runs a program from the worker itself: no subshell in between', async () => {
    pool = new ShellPool(1);
    const shell = run('echo $$');
    await shell.result;
    const plain = run('cat /proc/self/stat');
    expect((await plain.result).exitCode).toBe(0);
    // /proc/<pid>/stat: pid (comm) state ppid … — cat's parent is the worker shell, not a subshell of it.
    const ppid = plain.lines[0]?.split(') ')[1]?.split(' ')[1];
    expect(shell.lines).toEqual([`stdout: ${ppid}`]);
  });

  it('streams stdout and stderr lines and reports the exit status', async () => {
    pool = new ShellPool();
    const { lines, result } = run('echo one; echo two >&2; printf three; exit 3');
    expect(await result).toMatchObject({ exitCode: 3, lastStderr: 'two' });
    // Two pipes: order within a stream is kept, order across them is not promised.
    expect(lines.filter((l) => l.startsWith('stdout'))).toEqual(['stdout: one', 'stdout: three']);
    expect(lines.filter((l) => l.startsWith('stderr'))).toEqual(['stderr: two']);
  });

  it('runs in the given directory with the given variables, without leaking them to the next command', async () => {
    pool = new ShellPool(1);
    const dir = mkdtempSync(join(tmpdir(), 'pool-'));
    try {
      const first = run('pwd; echo "$GREETING"', { cwd: dir, env: { GREETING: 'hello there' } });
      expect((await first.result).exitCode).toBe(0);
      expect(first.lines).toEqual([`stdout: ${dir}`, 'stdout: hello there']);
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell parameter expansion, not a template
      const second = run('echo "[${GREETING:-}]"; cd /; export X=1');
      await second.result;
      expect(second.lines).toEqual(['stdout: []']);
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell parameter expansion, not a template
      const third = run('pwd; echo "[${X:-}]"', { cwd: dir });
      await third.result;
      expect(third.lines).toEqual([`stdout: ${dir}`, 'stdout: []']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('runs commands under SCHED_BATCH, so a woken shell does not preempt the engine', async () => {
    pool = new ShellPool(1);
    // The policy is the worker's own and every process it starts inherits it.
    const { lines, result } = run("chrt --pid $$; sh -c 'chrt --pid $$'");
    expect((await result).exitCode).toBe(0);
    const policies = lines.filter((l) => l.includes('policy'));
    expect(policies).toHaveLength(2);
    for (const line of policies) expect(line).toMatch(/SCHED_BATCH$/);
  });

  it('survives a command with a syntax error or an exit', async () => {
    pool = new ShellPool(1);
    expect((await run('if then fi (').result).exitCode).not.toBe(0);
    expect((await run('exit 7').result).exitCode).toBe(7);
    const after = run('echo still here');
    expect((await after.result).exitCode).toBe(0);
    expect(after.lines).toEqual(['stdout: still here']);
  });

  it('runs commands in parallel up to its size, starting shells for commands that wait', async () => {
    // No eager shells: all six are started because commands waited for one.
    pool = new ShellPool(6, 0);
    const dir = mkdtempSync(join(tmpdir(), 'pool-'));
    try {
      // Each command waits until all six have started: only six at once can finish.
      const barrier = 'touch "$RANDOM$$"; while [ "$(ls | wc -l)" -lt 6 ]; do sleep 0.01; done; echo $$';
      const runs = Array.from({ length: 6 }, () => run(barrier, { cwd: dir }));
      const results = await Promise.all(runs.map((r) => r.result));
      expect(results.map((r) => r.exitCode)).toEqual([0, 0, 0, 0, 0, 0]);
      // Six different shells ran them; closing the pool ends all six.
      const pids = runs.map((r) => Number(r.lines.join().replace('stdout: ', '')));
      expect(new Set(pids).size).toBe(6);
      await pool.close();
      for (let waited = 0; pids.some(isAlive) && waited < 5000; waited += 20) {
        await new Promise((r) => setTimeout(r, 20));
      }
      expect(pids.filter(isAlive)).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('keeps its concurrency while the event loop is busy (commands that flood it with output)', async () => {
    pool = new ShellPool(4, 1);
    const dir = mkdtempSync(join(tmpdir(), 'pool-'));
    // Keep the event loop busy between its turns for I/O and timers, as a flood of output would.
    let spinning = true;
    const spin = () => {
      const until = performance.now() + 3;
      while (performance.now() < until);
      if (spinning) setImmediate(spin);
    };
    spin();
    try {
      const barrier = 'touch "$RANDOM$$"; while [ "$(ls | wc -l)" -lt 4 ]; do sleep 0.01; done';
      const results = await Promise.all(Array.from({ length: 4 }, () => run(barrier, { cwd: dir }).result));
      expect(results.map((r) => r.exitCode)).toEqual([0, 0, 0, 0]);
    } finally {
      spinning = false;
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('stops a command: its process group goes, the commands beside it go on', async () => {
    pool = new ShellPool(2, 0);
    const dir = mkdtempSync(join(tmpdir(), 'pool-'));
    try {
      const controller = new AbortController();
      const doomed = run(`sh -c 'echo $$ > pid; exec sleep 30'; touch finished`, {
        cwd: dir,
        signal: controller.signal,
      });
      const other = run('while [ ! -e pid ]; do sleep 0.01; done; sleep 0.2; echo done', { cwd: dir });
      while (!existsSync(join(dir, 'pid'))) await new Promise((r) => setTimeout(r, 10));
      const pid = Number(readFileSync(join(dir, 'pid'), 'utf8'));
      controller.abort(new MarshalError('TIMEOUT', 'too slow'));
      await expect(doomed.result).rejects.toMatchObject({ code: 'TIMEOUT' });
      expect(isAlive(pid)).toBe(false);
      expect(existsSync(join(dir, 'finished'))).toBe(false);
      expect((await other.result).exitCode).toBe(0);
      expect(other.lines).toEqual(['stdout: done']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('fails the job of a shell that dies, and replaces the shell', async () => {
    pool = new ShellPool(2, 0);
    const a = run('kill -9 $$; sleep 5');
    const b = run('echo fine');
    await expect(a.result).rejects.toMatchObject({
      code: 'PROVIDER_ERROR',
      message: expect.stringMatching(/exited/),
    });
    expect((await b.result).exitCode).toBe(0);
    expect((await run('echo again').result).exitCode).toBe(0);
  });

  it('stops a command when its signal aborts: the process is gone and the reason is thrown', async () => {
    pool = new ShellPool(1);
    const dir = mkdtempSync(join(tmpdir(), 'pool-'));
    try {
      const controller = new AbortController();
      const { result } = run(`sh -c 'echo $$ > pid; exec sleep 30'; touch finished`, {
        cwd: dir,
        signal: controller.signal,
      });
      while (!existsSync(join(dir, 'pid'))) await new Promise((r) => setTimeout(r, 10));
      const pid = Number(readFileSync(join(dir, 'pid'), 'utf8'));
      controller.abort(new MarshalError('TIMEOUT', 'too slow'));
      await expect(result).rejects.toMatchObject({ code: 'TIMEOUT' });
      expect(isAlive(pid)).toBe(false);
      expect(existsSync(join(dir, 'finished'))).toBe(false);
      // The pool replaces the worker it killed.
      expect((await run('echo next').result).exitCode).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('rejects queued work when closed', async () => {
    pool = new ShellPool(1);
    const busy = run('sleep 5').result;
    const queued = run('echo never').result;
    const outcomes = Promise.all([
      expect(queued).rejects.toMatchObject({ code: 'CANCELLED' }),
      expect(busy).rejects.toMatchObject({ code: 'CANCELLED' }),
    ]);
    await pool.close();
    await outcomes;
  });
});
