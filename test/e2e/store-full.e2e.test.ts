/**
 * The disk under the store fills up mid-run: the store lives on a small tmpfs of its own, and the
 * second service's step fills it. The run must stop starting steps (nothing acts unrecorded),
 * exit 130 naming the full disk and the resume command, and finish after space is freed.
 * Needs root (mount), as the sshd tests do.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { marshal, marshalJson, type TempProject, tempProject } from './harness.js';

let project: TempProject | undefined;
let mounted: string | undefined;
afterEach(() => {
  if (mounted !== undefined) execFileSync('umount', ['-l', mounted]);
  mounted = undefined;
  project?.cleanup();
  project = undefined;
});

function effects(dir: string): string[] {
  try {
    return readFileSync(join(dir, 'effects.log'), 'utf8').trim().split('\n').filter(Boolean);
  } catch {
    return [];
  }
}

/** s1 → s2 → s3; s2's step fills the store's file system, once (its marker lives elsewhere). */
function fillingProject(): TempProject {
  const service = (name: string, needs: string | null, run: string) =>
    `  ${name}:\n    group: app\n    version: v1${needs ? `\n    needs: [${needs}]` : ''}\n    steps:\n      - run: ${run}`;
  return tempProject({
    'marshal.yaml': `services:
${service('s1', null, 'sh step.sh s1')}
${service('s2', 's1', 'sh fill.sh; sh step.sh s2')}
${service('s3', 's2', 'sh step.sh s3')}
environments:
  dev:
    groups:
      app: { hosts: [h1] }
`,
    'step.sh': 'echo "start $1" >> effects.log\necho "done $1" >> effects.log\n',
    // dd stops at ENOSPC: every block of the file system is then taken.
    'fill.sh':
      '[ -e filled ] || { touch filled; dd if=/dev/zero of=store/filler bs=4k 2>/dev/null; true; }\n',
  });
}

describe('a store whose disk fills up mid-run', () => {
  it('stops, exits 130 naming the full disk and the resume command; resume finishes after space is freed', async () => {
    project = fillingProject();
    const store = join(project.dir, 'store');
    mkdirSync(store);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', store]);
    mounted = store;
    const storeArg = ['--store', 'sqlite:store/state.db'];

    const stopped = await marshal(project.dir, [...storeArg, 'deploy', 'dev']);
    const output = stopped.stdout + stopped.stderr;
    expect(stopped.code, output).toBe(130);
    expect(stopped.stderr).toContain(`no space left on device under ${store}`);
    expect(stopped.stdout).toContain('Run #1 interrupted');
    expect(stopped.stdout).toContain(`resumable: free space under ${store}, then marshal resume 1`);
    // s2's outcome could not be recorded, so s3 was never started.
    expect(effects(project.dir)).toEqual(['start s1', 'done s1', 'start s2', 'done s2']);
    const { json: left } = await marshalJson<{ run: { state: string } }>(project.dir, [
      ...storeArg,
      'show',
      '1',
    ]);
    expect(left.run.state).toBe('running');

    rmSync(join(store, 'filler'));
    const resumed = await marshal(project.dir, [...storeArg, 'resume', '1']);
    expect(resumed.code, resumed.stdout + resumed.stderr).toBe(0);
    expect(resumed.stdout).toMatch(/^Run #1 succeeded/m);
    const done = effects(project.dir);
    expect(done.filter((l) => l === 'done s1')).toHaveLength(1);
    expect(done).toContain('done s3');
  });
});
