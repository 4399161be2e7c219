/**
 * Starting and stopping a load balancer process for tests: a free port (with
 * a retry when another process takes it first), readiness by HTTP, stop by
 * process group, and a watchdog that cleans up after a test process that died.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { getOnce } from './lb-http.js';
import { freePort } from './provider-testkit.js';

/** Polls `ready` every 10 ms until it is true; throws after `ms`. */
export async function waitFor(ready: () => Promise<boolean>, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await ready())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/**
 * Starts a process that listens on a port: `start(port)` writes its config and spawns it
 * (detached, so it leads a process group). Resolves once `http://127.0.0.1:<port>/`
 * answers (any status). A process that exits first (the port was taken meanwhile) is
 * retried on another port, up to 5 times.
 */
export async function launch(
  dir: string,
  start: (port: number) => Promise<ChildProcess>,
  logFile: string,
): Promise<{ child: ChildProcess; port: number }> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const child = await start(port);
    child.once('error', () => undefined);
    await writeFile(join(dir, 'pgid'), `${child.pid ?? ''}\n`);
    let exited = false;
    child.once('exit', () => {
      exited = true;
    });
    const answers = async () => {
      if (exited) return true;
      return getOnce(`http://127.0.0.1:${port}/healthz`).then(
        () => true,
        () => false,
      );
    };
    await waitFor(answers, 10_000, `${child.spawnfile} on port ${port}`).catch(async (err) => {
      await stopGroup(child);
      throw err;
    });
    if (!exited) return { child, port };
    if (attempt >= 5) {
      const log = await readFile(logFile, 'utf8').catch(() => '');
      throw new Error(`${child.spawnfile} did not start: ${log.trim().split('\n').slice(-3).join(' | ')}`);
    }
  }
}

/** Ends the process group `child` leads: TERM, then KILL after 3 s. */
export async function stopGroup(child: ChildProcess): Promise<void> {
  const pid = child.pid;
  if (pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const kill = (sig: NodeJS.Signals) => {
    try {
      process.kill(-pid, sig);
    } catch {
      // Gone already.
    }
  };
  kill('SIGTERM');
  const timer = setTimeout(() => kill('SIGKILL'), 3000);
  await exited;
  clearTimeout(timer);
  // Workers of the group that outlived their master (they should not): end them too.
  kill('SIGKILL');
}

/**
 * A detached shell that, if this process dies without calling stop(), kills the
 * process group recorded in `<dir>/pgid` and deletes `dir`.
 */
export function startReaper(dir: string): ChildProcess {
  const script = [
    'while kill -0 "$1" 2>/dev/null; do sleep 1; done',
    'pg=$(cat "$2/pgid" 2>/dev/null); [ -n "$pg" ] && kill -KILL -- "-$pg" 2>/dev/null',
    'rm -rf "$2"',
  ].join('\n');
  const child = spawn('/bin/sh', ['-c', script, 'marshal-lb-reaper', String(process.pid), dir], {
    detached: true,
    stdio: 'ignore',
  });
  child.unref();
  return child;
}
