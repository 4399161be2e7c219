import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MarshalError } from '../model/errors.js';
import { configDigest } from './digest.js';
import { writeProject } from './fixtures/tmp-project.js';
import { formatProblem, STARTER_CONFIG } from './index.js';
import { loadProject } from './load.js';

const ROOT = `project: shop
include:
  - services/*.yaml
  - envs.yaml
defaults:
  timeout: 2m
  variables: { REGION: eu }
services:
  db:
    version: "14.2"
`;

const SERVICES_API = `services:
  api:
    needs: [db]
    artifact: ./build
    steps:
      - run: echo {{ version }} {{ env.REGION }} {{ host.zone }}
    health: { http: { url: "http://127.0.0.1:{{ env.PORT }}/" } }
`;

const ENVS = `environments:
  prod:
    variables: { PORT: 8080 }
    groups:
      api:
        hosts:
          - { name: p1, vars: { zone: a } }
          - { name: p2, vars: { zone: b } }
      db: { hosts: [p3] }
`;

function shop(): string {
  const dir = writeProject({ 'marshal.yaml': ROOT, 'services/api.yaml': SERVICES_API, 'envs.yaml': ENVS });
  mkdirSync(join(dir, 'services', 'build'));
  return dir;
}

describe('loadProject', () => {
  it('merges included files in order and remembers where each service was declared', () => {
    const dir = shop();
    const project = loadProject(join(dir, 'marshal.yaml'));
    expect(project.configFile).toBe(join(dir, 'marshal.yaml'));
    expect(project.projectDir).toBe(dir);
    expect(project.files).toEqual([
      join(dir, 'marshal.yaml'),
      join(dir, 'services/api.yaml'),
      join(dir, 'envs.yaml'),
    ]);
    expect(Object.keys(project.config.services)).toEqual(['db', 'api']);
    expect(Object.keys(project.config.environments)).toEqual(['prod']);
    expect(project.serviceDirs).toEqual({ db: dir, api: join(dir, 'services') });
    expect(project.config.include).toEqual(['services/*.yaml', 'envs.yaml']);
  });

  it('applies defaults and reads durations', () => {
    const project = loadProject(join(shop(), 'marshal.yaml'));
    const { config } = project;
    expect(config.defaults).toMatchObject({
      provider: 'local',
      timeout: 120_000,
      concurrency: 16,
      keepReleases: 5,
    });
    expect(config.defaults.retry).toEqual({
      attempts: 1,
      backoff: 1000,
      factor: 2,
      maxBackoff: 30_000,
      nonRetryable: [],
    });
    expect(config.services.db).toMatchObject({ needs: [], steps: [], version: '14.2' });
    expect(config.services.api?.health).toMatchObject({ interval: 500, timeout: 2000, failureThreshold: 20 });
    expect(config.environments.prod?.variables).toEqual({ PORT: '8080' });
  });

  it('gives a digest that ignores key order and follows every value', () => {
    const a = loadProject(join(shop(), 'marshal.yaml'));
    const reordered = writeProject({
      'marshal.yaml': `services:
  db:
    version: "14.2"
defaults:
  variables: { REGION: eu }
  timeout: 120s
include: [services/*.yaml, envs.yaml]
project: shop
`,
      'services/api.yaml': SERVICES_API,
      'envs.yaml': ENVS,
    });
    mkdirSync(join(reordered, 'services', 'build'));
    const b = loadProject(join(reordered, 'marshal.yaml'));
    expect(b.digest).toBe(a.digest);
    expect(a.digest).toMatch(/^[0-9a-f]{64}$/);
    expect(configDigest(a.config)).toBe(a.digest);

    const changed = { ...a.config, defaults: { ...a.config.defaults, timeout: 120_001 } };
    expect(configDigest(changed)).not.toBe(a.digest);
  });

  it('loads the starter config', () => {
    const dir = writeProject({ 'marshal.yaml': STARTER_CONFIG });
    const project = loadProject(join(dir, 'marshal.yaml'));
    expect(Object.keys(project.config.services)).toEqual(['db', 'web']);
    expect(Object.keys(project.config.environments)).toEqual(['dev', 'production']);
    expect(project.config.services.web?.needs).toEqual(['db']);
  });

  it('accepts YAML anchors and merge keys', () => {
    const dir = writeProject({
      'marshal.yaml': `services:
  api:
    health: &check { command: "true", interval: 1s }
  db:
    health: { <<: *check, failureThreshold: 3 }
environments:
  prod: { groups: { api: { hosts: [p1] }, db: { hosts: [p1] } } }
`,
    });
    const project = loadProject(join(dir, 'marshal.yaml'));
    expect(project.config.services.db?.health).toMatchObject({
      command: 'true',
      interval: 1000,
      failureThreshold: 3,
    });
  });

  it('throws CONFIG_NOT_FOUND for a missing root file', () => {
    const dir = writeProject({});
    try {
      loadProject(join(dir, 'marshal.yaml'));
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(MarshalError);
      expect((err as MarshalError).code).toBe('CONFIG_NOT_FOUND');
      expect((err as MarshalError).exitCode).toBe(2);
    }
  });

  it('throws CONFIG_INVALID with a count and every problem', () => {
    const dir = writeProject({ 'marshal.yaml': 'services:\n  api: { needs: [a, b] }\n' });
    try {
      loadProject(join(dir, 'marshal.yaml'));
      expect.unreachable();
    } catch (err) {
      const error = err as MarshalError;
      expect(error.code).toBe('CONFIG_INVALID');
      expect(error.message).toMatch(/^3 problems in \/.*marshal\.yaml$/);
      const problems = error.details?.problems as { path: string }[];
      expect(problems.map((p) => p.path)).toEqual([
        'environments',
        'services.api.needs[0]',
        'services.api.needs[1]',
      ]);
    }
  });
});

describe('formatProblem', () => {
  const problem = {
    file: '/p/marshal.yaml',
    line: 12,
    column: 5,
    path: 'services.api.needs[1]',
    message: 'unknown service "dbb"',
  };

  it('shows the file relative to the working directory when inside it', () => {
    expect(formatProblem(problem, '/p')).toBe(
      'marshal.yaml:12:5: services.api.needs[1]: unknown service "dbb"',
    );
  });

  it('keeps an absolute path outside the working directory, and drops an empty path', () => {
    expect(formatProblem({ ...problem, path: '' }, '/elsewhere')).toBe(
      '/p/marshal.yaml:12:5: unknown service "dbb"',
    );
  });
});
