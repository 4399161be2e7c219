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

describe('loadProjectCached', () => {
  it('reuses the validated project while every file is byte-for-byte the same', () => {
    const p = project();
    const first = loadProjectCached(p.file);
    expect(first).toMatchObject({ fromCache: false });
    expect(first.project.config.services.api?.steps[0]?.run).toBe('echo one');
    saveProjectCache(first.project);
    mark(p.cache);
    expect(loadProjectCached(p.file)).toMatchObject({ fromCache: true, project: { digest: 'from-cache' } });
  });

  it('loads again when an included file changes, or a glob matches another file', () => {
    const p = project();
    saveProjectCache(loadProjectCached(p.file).project);
    mark(p.cache);
    writeFileSync(join(p.dir, 'services/api.yaml'), service('api', 'echo two'));
    const changed = loadProjectCached(p.file);
    expect(changed.fromCache).toBe(false);
    expect(changed.project.config.services.api?.steps[0]?.run).toBe('echo two');
    saveProjectCache(changed.project);
    mark(p.cache);
    writeFileSync(join(p.dir, 'services/web.yaml'), service('web', 'echo web'));
    expect(Object.keys(loadProjectCached(p.file).project.config.services)).toEqual(['api', 'web']);
  });

  it('writes nothing while loading, and an invalid project throws instead of loading from a stale cache', () => {
    const p = project();
    saveProjectCache(loadProjectCached(p.file).project);
    rmSync(p.cache);
    loadProjectCached(p.file);
    expect(existsSync(p.cache)).toBe(false);
    saveProjectCache(loadProjectCached(p.file).project);
    writeFileSync(join(p.dir, 'services/api.yaml'), service('api', '{{ nope }}'));
    expect(() => loadProjectCached(p.file)).toThrow(/problem/);
  });
});
