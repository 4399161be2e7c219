/**
 * How long a run took, as the CLI shows it: a run killed with kill -9 and resumed later took its
 * working time, not the time it lay dead — in the resume's summary, `show` and `history`, with
 * the time from start to end beside it, and both in --json.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { marshal, marshalJson, start, type TempProject, tempProject, waitFor } from './harness.js';

let project: TempProject | undefined;
afterEach(() => {
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

/** How long the killed run lies dead before it is resumed. */
const DEAD_MS = 3000;

interface Timed {
  workedMs: number;
  wallMs: number;
  interruptions: number;
}

describe('the duration of a run killed and resumed later', () => {
  it('is its working time; the time from start to end is shown beside it, labelled', async () => {
    project = tempProject({
      'marshal.yaml': `services:
  s1: { group: app, version: v1, steps: [{ run: sh step.sh s1 }] }
  s2: { group: app, version: v1, needs: [s1], steps: [{ run: sh step.sh s2 }] }
  s3: { group: app, version: v1, needs: [s2], steps: [{ run: sh step.sh s3 }] }
environments:
  dev:
    groups:
      app: { hosts: [h1] }
`,
      'step.sh': 'echo "start $1" >> effects.log\nsleep 0.3\necho "done $1" >> effects.log\n',
    });
    const dir = project.dir;
    const deploy = start(dir, ['deploy', 'dev']);
    await waitFor(() => effects(dir).includes('done s1'), 15_000, 's1 to finish');
    deploy.child.kill('SIGKILL');
    await deploy.done;
    await new Promise((resolve) => setTimeout(resolve, DEAD_MS));

    const resumed = await marshal(dir, ['resume', '1']);
    expect(resumed.code, resumed.stdout + resumed.stderr).toBe(0);
    const interrupted = /\(\S+ from start to end, interrupted once\)/;
    expect(resumed.stdout).toMatch(new RegExp(`^Run #1 succeeded in \\S+ ${interrupted.source}`, 'm'));

    const { json } = await marshalJson<{ run: Timed }>(dir, ['show', '1']);
    expect(json.run.interruptions).toBe(1);
    expect(json.run.wallMs).toBeGreaterThanOrEqual(DEAD_MS);
    expect(json.run.workedMs).toBeLessThan(json.run.wallMs - DEAD_MS + 500);
    expect((await marshal(dir, ['show', '1'])).stdout).toMatch(
      new RegExp(`took\\s+\\S+ ${interrupted.source}`),
    );

    const history = await marshalJson<{ runs: Timed[] }>(dir, ['history']);
    expect(history.json.runs[0]).toMatchObject({ workedMs: json.run.workedMs, interruptions: 1 });
    expect((await marshal(dir, ['history'])).stdout).toMatch(interrupted);
  });
});
