import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadProjectCached, saveProjectCache } from './cache.js';
import { writeProject } from './fixtures/tmp-project.js';

const ROOT = `include: [services/*.yaml]
environments:
  dev:
    groups:
      app: { hosts: [h1] }
`;
const service = (name: string, command: string) =>
  `services:\n  ${name}:\n    group: app\n    steps: [{ run: "${command}" }]\n`;

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function project() {
  const dir = writeProject({ 'marshal.yaml': ROOT, 'services/api.yaml': service('api', 'echo one') });
  dirs.push(dir);
  return { dir, file: join(dir, 'marshal.yaml'), cache: join(dir, '.marshal/cache/project.json') };
}

/** Marks the cached project so a later load shows whether it came from the cache. */
function mark(cache: string): void {
  const entry = JSON.parse(readFileSync(cache, 'utf8'));
  entry.project.digest = 'from-cache';
  writeFileSync(cache, JSON.stringify(entry));
}

describe('loadProjectCached', async () => {
  it('reuses the validated project while every file is byte-for-byte the same', async () => {
    const p = project();
    const first = await loadProjectCached(p.file);
    expect(first).toMatchObject({ fromCache: false });
    expect(first.project.config.services.api?.steps[0]?.run).toBe('echo one');
    saveProjectCache(first.project);
    mark(p.cache);
    expect(await loadProjectCached(p.file)).toMatchObject({
      fromCache: true,
      project: { digest: 'from-cache' },
    });
  });

  it('loads again when an included file changes, or a glob matches another file', async () => {
    const p = project();
    saveProjectCache((await loadProjectCached(p.file)).project);
    mark(p.cache);
    writeFileSync(join(p.dir, 'services/api.yaml'), service('api', 'echo two'));
    const changed = await loadProjectCached(p.file);
    expect(changed.fromCache).toBe(false);
    expect(changed.project.config.services.api?.steps[0]?.run).toBe('echo two');
    saveProjectCache(changed.project);
    mark(p.cache);
    writeFileSync(join(p.dir, 'services/web.yaml'), service('web', 'echo web'));
    expect(Object.keys((await loadProjectCached(p.file)).project.config.services)).toEqual(['api', 'web']);
  });

  it('writes nothing while loading, and an invalid project throws instead of loading from a stale cache', async () => {
    const p = project();
    saveProjectCache((await loadProjectCached(p.file)).project);
    rmSync(p.cache);
    await loadProjectCached(p.file);
    expect(existsSync(p.cache)).toBe(false);
    saveProjectCache((await loadProjectCached(p.file)).project);
    writeFileSync(join(p.dir, 'services/api.yaml'), service('api', '{{ nope }}'));
    await expect(loadProjectCached(p.file)).rejects.toThrow(/problem/);
  });
});

describe('hosts files', async () => {
  it('load hosts from a file beside the environment, and the cache follows the file', async () => {
    const dir = writeProject({
      'marshal.yaml': `${service('api', 'echo one')}environments:\n  dev:\n    groups:\n      app: { hostsFile: inventory/dev.yaml }\n`,
      'inventory/dev.yaml': '- h1\n- { name: h2, address: 10.0.0.2, vars: { zone: b } }\n',
    });
    dirs.push(dir);
    const file = join(dir, 'marshal.yaml');
    const first = (await loadProjectCached(file)).project;
    expect(first.config.environments.dev?.groups.app?.hosts).toEqual([
      'h1',
      { name: 'h2', address: '10.0.0.2', vars: { zone: 'b' } },
    ]);
    expect(first.files).toContain(join(dir, 'inventory/dev.yaml'));
    saveProjectCache(first);
    expect((await loadProjectCached(file)).fromCache).toBe(true);
    writeFileSync(join(dir, 'inventory/dev.yaml'), '- h1\n- h3\n');
    const changed = await loadProjectCached(file);
    expect(changed.fromCache).toBe(false);
    expect(changed.project.config.environments.dev?.groups.app?.hosts).toEqual(['h1', 'h3']);
  });

  it('locates a problem in the hosts file itself', async () => {
    const dir = writeProject({
      'marshal.yaml': `${service('api', 'echo one')}environments:\n  dev:\n    groups:\n      app: { hostsFile: hosts.yaml }\n`,
      'hosts.yaml': '- h1\n- { name: h2, prot: 22 }\n',
    });
    dirs.push(dir);
    await expect(loadProjectCached(join(dir, 'marshal.yaml'))).rejects.toThrow(
      expect.objectContaining({
        details: expect.objectContaining({
          problems: [
            expect.objectContaining({
              file: join(dir, 'hosts.yaml'),
              line: 2,
              message: expect.stringContaining('"prot"'),
            }),
          ],
        }),
      }),
    );
  });
});
