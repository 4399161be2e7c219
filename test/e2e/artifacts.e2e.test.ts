/**
 * A missing local artifact (`build/api-{{ version }}` for a version not built) is found by `plan`
 * and `deploy` before anything changes — exit 2, the service and the path named — not at upload,
 * after the services before it were switched and restarted.
 */
import { existsSync, readdirSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { marshal, marshalJson, type TempProject, tempProject } from './harness.js';

const CONFIG = `services:
  db:
    group: app
    artifact: build/db-{{ version }}
  api:
    group: app
    needs: [db]
    artifact: build/api-{{ version }}
  mock:
    group: app
    provider: simulate
    artifact: build/mock-{{ version }}
environments:
  dev:
    groups:
      app:
        hosts: [{ name: h1, root: hosts/h1 }]
`;

let project: TempProject | undefined;
afterEach(() => {
  project?.cleanup();
  project = undefined;
});

function withBuilds(builds: string[]): TempProject {
  const p = tempProject({ 'marshal.yaml': CONFIG });
  for (const build of builds) p.write(`build/${build}/VERSION`, `${build}\n`);
  return p;
}

describe('a missing local artifact', () => {
  it('stops plan and deploy before anything changes, naming the service and the path', async () => {
    project = withBuilds(['db-v1', 'api-v1', 'db-v2']);
    const first = await marshal(project.dir, ['deploy', 'dev', '--version', 'v1', '-q']);
    expect(first.code, first.stdout + first.stderr).toBe(0);

    const missing = `service api: artifact build/api-v2 not found (${join(project.dir, 'build/api-v2')})`;
    const plan = await marshal(project.dir, ['plan', 'dev', '--version', 'v2']);
    expect(plan.code, plan.stdout + plan.stderr).toBe(2);
    expect(plan.stderr).toContain(`error[CONFIG_INVALID]: ${missing}`);

    const deploy = await marshal(project.dir, ['deploy', 'dev', '--version', 'v2', '-q']);
    expect(deploy.code, deploy.stdout + deploy.stderr).toBe(2);
    expect(deploy.stderr).toContain(`error[CONFIG_INVALID]: ${missing}`);
    // No run, and db — deployed before api — was neither uploaded nor switched.
    const history = await marshalJson<{ runs: unknown[] }>(project.dir, ['history']);
    expect(history.json.runs).toHaveLength(1);
    const db = join(project.dir, 'hosts/h1/db');
    expect(readlinkSync(join(db, 'current'))).toBe('releases/v1');
    expect(readdirSync(join(db, 'releases'))).toEqual(['v1']);
    // The lock was let go: once built, the same deploy goes through.
    project.write('build/api-v2/VERSION', 'api-v2\n');
    const retry = await marshal(project.dir, ['deploy', 'dev', '--version', 'v2', '-q']);
    expect(retry.code, retry.stdout + retry.stderr).toBe(0);
  });

  it('stops a first deploy before its store exists, and lists every missing artifact', async () => {
    project = withBuilds([]);
    const deploy = await marshal(project.dir, ['deploy', 'dev', '--version', 'v1']);
    expect(deploy.code, deploy.stdout + deploy.stderr).toBe(2);
    expect(deploy.stderr).toContain('error[CONFIG_INVALID]: 2 artifacts not found');
    expect(deploy.stderr).toContain(
      `service db: artifact build/db-v1 not found (${join(project.dir, 'build/db-v1')})`,
    );
    expect(deploy.stderr).toContain(`service api: artifact build/api-v1 not found`);
    // The simulate provider uploads nothing: its artifact is not looked for.
    expect(deploy.stderr).not.toContain('service mock');
    expect(existsSync(join(project.dir, '.marshal'))).toBe(false);
  });
});
