import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { isAlive, waitUntil } from './process.js';

/** State letter of /proc/<pid>/stat (R, S, Z…), or null once the pid is gone. */
function procState(pid: number): string | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return text.slice(text.lastIndexOf(')') + 2).split(' ')[0] ?? null;
  } catch {
    return null;
  }
}

/**
 * A real zombie: `sleep 0.1` exits, and its parent — the shell, which has exec'd `sleep 30` —
 * never waits for it. Resolves with the zombie's pid and a way to let its parent go.
 */
async function makeZombie(): Promise<{ pid: number; release(): void }> {
  const parent = spawn('/bin/sh', ['-c', 'sleep 0.1 & echo $!; exec sleep 30'], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const pid = await new Promise<number>((resolve) =>
    parent.stdout.once('data', (chunk: Buffer) => resolve(Number(chunk.toString().trim()))),
  );
  await waitUntil(() => procState(pid) === 'Z', 5000);
  return { pid, release: () => parent.kill('SIGKILL') };
}

const releases: (() => void)[] = [];
afterEach(() => {
  for (const release of releases.splice(0)) release();
});

describe('isAlive', () => {
  it('sees this process as alive, and an exited process or a nonsense pid as dead', () => {
    expect(isAlive(process.pid)).toBe(true);
    expect(isAlive(spawnSync('true').pid as number)).toBe(false);
    expect(isAlive(0)).toBe(false);
    expect(isAlive(-5)).toBe(false);
  });

  it('counts a zombie (exited, never reaped) as dead, though signal 0 still reaches it', async () => {
    const zombie = await makeZombie();
    releases.push(zombie.release);
    expect(procState(zombie.pid)).toBe('Z');
    expect(() => process.kill(zombie.pid, 0)).not.toThrow();
    expect(isAlive(zombie.pid)).toBe(false);
  });
});
