/**
 * A deploy killed with kill -9 whose parent has not reaped it yet (a CI runner's shell, a
 * container whose PID 1 does not reap) stays a zombie: signal 0 still reaches its pid. `cancel`
 * and the lock must treat it as dead all the same.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  marshal,
  marshalJson,
  type Running,
  start,
  type TempProject,
  tempProject,
  waitFor,
} from './harness.js';

/** State letter of /proc/<pid>/stat (R, S, Z…), or null once the pid is gone. */
function procState(pid: number): string | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return text.slice(text.lastIndexOf(')') + 2).split(' ')[0] ?? null;
  } catch {
    return null;
  }
}

let project: TempProject | undefined;
let parent: Running | undefined;
afterEach(() => {
  parent?.child.kill('SIGKILL');
  parent = undefined;
  project?.cleanup();
  project = undefined;
});

/**
 * Starts `marshal deploy dev` under a shell that prints its pid and then becomes `sleep 60`,
 * which never waits for it; kills the deploy with SIGKILL once its first step runs, and resolves
 * with its pid once it is a zombie.
 */
async function killedDeployLeftAZombie(dir: string): Promise<number> {
  const script = '"$@" & echo "pid $!"; exec sleep 60';
  parent = start(dir, ['deploy', 'dev'], {}, ['/bin/sh', '-c', script, 'sh']);
  const running = parent;
  await waitFor(() => /^pid \d+$/m.test(running.output()), 10_000, 'the deploy to start');
  const pid = Number(/^pid (\d+)$/m.exec(running.output())?.[1]);
  await waitFor(() => readLog(dir).includes('start s1'), 15_000, 'the first step to start');
  process.kill(pid, 'SIGKILL');
  await waitFor(() => procState(pid) === 'Z', 5000, 'the killed deploy to be a zombie');
  return pid;
}

function readLog(dir: string): string {
  try {
    return readFileSync(join(dir, 'effects.log'), 'utf8');
  } catch {
    return '';
  }
}

function twoSteps(): TempProject {
  return tempProject({
    'marshal.yaml': `services:
  s1:
    group: app
    version: v1
    steps: [{ run: sh step.sh s1 }]
  s2:
    group: app
    needs: [s1]
    version: v1
    steps: [{ run: sh step.sh s2 }]
environments:
  dev:
    groups:
      app: { hosts: [h1] }
`,
    'step.sh': 'echo "start $1" >> effects.log\nsleep 1\necho "done $1" >> effects.log\n',
  });
}

describe('a killed deploy that is still a zombie', () => {
  it('is cancelled as a run nobody executes, not signalled', async () => {
    project = twoSteps();
    const pid = await killedDeployLeftAZombie(project.dir);
    const cancelled = await marshal(project.dir, ['cancel', '1']);
    expect(cancelled.code, cancelled.stdout + cancelled.stderr).toBe(0);
    expect(cancelled.stdout).toContain('run #1 cancelled; it stays resumable: marshal resume 1');
    expect(cancelled.stdout).not.toContain(`pid ${pid}`);
    const { json } = await marshalJson<{ run: { state: string } }>(project.dir, ['show', '1']);
    expect(json.run.state).toBe('cancelled');
    const resumed = await marshal(project.dir, ['resume', '1']);
    expect(resumed.code, resumed.stdout + resumed.stderr).toBe(0);
  });

  it('gives up its lock at once: resume takes the run over', async () => {
    project = twoSteps();
    await killedDeployLeftAZombie(project.dir);
    const resumed = await marshal(project.dir, ['resume', '1']);
    expect(resumed.code, resumed.stdout + resumed.stderr).toBe(0);
    expect(readLog(project.dir)).toContain('done s2');
  });
});
