import { describe, expect, it } from 'vitest';
import { problemsOf, problemsOfYaml, writeProject } from './fixtures/tmp-project.js';

/** Groups for api, db and worker in two environments; appended to service-only snippets. */
const ENVS = `environments:
  staging:
    groups:
      api: { hosts: [s1] }
      db: { hosts: [s1] }
      worker: { hosts: [s1] }
  prod:
    groups:
      api: { hosts: [p1, p2] }
      db: { hosts: [p3] }
      worker: { hosts: [p3] }
`;

describe('references between services', () => {
  it('suggests the service meant by an unknown need', () => {
    expect(
      problemsOfYaml(`services:
  db: {}
  api:
    needs: [db, dbb]
${ENVS}`),
    ).toEqual([
      {
        file: 'marshal.yaml',
        line: 4,
        column: 17,
        path: 'services.api.needs[1]',
        message: 'unknown service "dbb" — did you mean "db"?',
      },
    ]);
  });

  it('names a dependency cycle in order, at the first service that is part of it', () => {
    expect(
      problemsOfYaml(`services:
  db: {}
  api:
    needs:
      - db
      - worker
  worker:
    needs: [api]
${ENVS}`),
    ).toEqual([
      {
        file: 'marshal.yaml',
        line: 6,
        column: 9,
        path: 'services.api.needs[1]',
        message: 'dependency cycle: api → worker → api',
      },
    ]);
  });

  it('rejects a service that needs itself, and a need listed twice', () => {
    expect(
      problemsOfYaml(`services:
  db: {}
  api:
    needs: [api, db, db]
${ENVS}`),
    ).toEqual([
      expect.objectContaining({
        line: 4,
        column: 13,
        path: 'services.api.needs[0]',
        message: 'service "api" cannot need itself',
      }),
      expect.objectContaining({
        line: 4,
        column: 22,
        path: 'services.api.needs[2]',
        message: '"db" is listed more than once in needs',
      }),
    ]);
  });

  it('locates problems of an included service in its own file', () => {
    const dir = writeProject({
      'marshal.yaml': `include: [services/*.yaml]
services:
  db: {}
${ENVS}`,
      'services/api.yaml': `services:
  api:
    needs:
      - dbx
`,
    });
    expect(problemsOf(dir)).toEqual([
      {
        file: 'api.yaml',
        line: 4,
        column: 9,
        path: 'services.api.needs[0]',
        message: 'unknown service "dbx" — did you mean "db"?',
      },
    ]);
  });

  it('suggests an existing group for an unknown one', () => {
    const [problem, ...rest] = problemsOfYaml(`services:
  api:
    group: wroker
${ENVS}`);
    expect(rest).toEqual([]);
    expect(problem).toEqual({
      file: 'marshal.yaml',
      line: 3,
      column: 12,
      path: 'services.api.group',
      message: 'group "wroker" is not defined in any environment — did you mean "worker"?',
    });
  });

  it('explains that a service without group: runs on the group of its name', () => {
    const [problem] = problemsOfYaml(`services:
  web: {}
${ENVS}`);
    expect(problem).toMatchObject({ line: 2, column: 3, path: 'services.web' });
    expect(problem?.message).toContain('runs on group "web" (its name), which no environment defines');
  });

  it('requires at least one service and one environment', () => {
    expect(problemsOfYaml('project: empty\n')).toEqual([
      // Same position: ordered by path.
      expect.objectContaining({
        line: 1,
        column: 1,
        path: 'environments',
        message: expect.stringContaining('no environments'),
      }),
      expect.objectContaining({
        line: 1,
        column: 1,
        path: 'services',
        message: expect.stringContaining('no services'),
      }),
    ]);
  });
});

describe('hosts', () => {
  it('rejects a host defined twice with different vars, and a root shared by two hosts', () => {
    expect(
      problemsOfYaml(`services:
  api: {}
  db: {}
environments:
  prod:
    groups:
      api:
        hosts:
          - { name: p1, root: /srv/a, vars: { zone: a } }
          - { name: p2, root: /srv/a }
      db:
        hosts:
          - { name: p1, root: /srv/a, vars: { zone: b } }
`),
    ).toEqual([
      expect.objectContaining({
        line: 10,
        column: 31,
        path: 'environments.prod.groups.api.hosts[1].root',
        message: 'root "/srv/a" is also used by host "p1" (marshal.yaml:9:13)',
      }),
      expect.objectContaining({
        line: 13,
        column: 13,
        path: 'environments.prod.groups.db.hosts[0]',
        message: 'host "p1" is also defined at marshal.yaml:9:13 with a different root or vars',
      }),
    ]);
  });
});

describe('templates', () => {
  it('rejects an unknown placeholder', () => {
    const [problem] = problemsOfYaml(`services:
  api:
    steps:
      - run: ./deploy.sh {{ versoin }}
${ENVS}`);
    expect(problem).toMatchObject({ line: 4, column: 14, path: 'services.api.steps[0].run' });
    expect(problem?.message).toContain('{{ versoin }}: unknown name "versoin"');
  });

  it('rejects a malformed placeholder', () => {
    const [problem] = problemsOfYaml(`services:
  api:
    start:
      command: ./serve {{ version }
${ENVS}`);
    expect(problem).toMatchObject({ line: 4, column: 16, path: 'services.api.start.command' });
    expect(problem?.message).toBe('malformed placeholder: use {{ name }} or {{ name.field }}');
  });

  it('names the one environment where a variable is missing', () => {
    expect(
      problemsOfYaml(`services:
  api:
    health:
      http: { url: "http://{{ env.API_HOST }}/health" }
environments:
  staging:
    variables: { API_HOST: staging.local }
    groups: { api: { hosts: [s1] } }
  prod:
    variables: { API_HOTS: prod.local }
    groups: { api: { hosts: [p1] } }
`),
    ).toEqual([
      {
        file: 'marshal.yaml',
        line: 4,
        column: 20,
        path: 'services.api.health.http.url',
        message:
          '{{ env.API_HOST }}: no variable "API_HOST" is defined in environment "prod" — did you mean "API_HOTS"?',
      },
    ]);
  });

  it('names the host that lacks a host variable', () => {
    expect(
      problemsOfYaml(`services:
  api:
    start:
      command: ./serve
      port: "{{ host.port }}"
environments:
  prod:
    groups:
      api:
        hosts:
          - { name: p1, vars: { port: 8080 } }
          - { name: p2, vars: { prot: 8080 } }
`),
    ).toEqual([
      expect.objectContaining({
        line: 5,
        column: 13,
        path: 'services.api.start.port',
        message: '{{ host.port }}: host "p2" has no var "port" (environment "prod", group "api")',
      }),
    ]);
  });
});

describe('steps, ports and artifacts', () => {
  it('rejects duplicate step names, including the default names', () => {
    expect(
      problemsOfYaml(`services:
  api:
    steps:
      - run: make
      - name: run1
        run: make install
      - name: migrate
        run: ./migrate
      - name: migrate
        run: ./migrate again
    rollback: [restore, restore]
${ENVS}`),
    ).toEqual([
      expect.objectContaining({
        line: 5,
        column: 15,
        path: 'services.api.steps[1].name',
        message: 'duplicate step name "run1" (the default name of steps[0])',
      }),
      expect.objectContaining({
        line: 9,
        column: 15,
        path: 'services.api.steps[3].name',
        message: 'duplicate step name "migrate" (also steps[2])',
      }),
      expect.objectContaining({
        line: 11,
        column: 25,
        path: 'services.api.rollback[1]',
        message: '"restore" is listed more than once in rollback',
      }),
    ]);
  });

  it('rejects a literal port outside 1–65535', () => {
    expect(
      problemsOfYaml(`services:
  api:
    start: { command: ./serve, port: "80800" }
    health:
      - tcp: { port: "http" }
${ENVS}`),
    ).toEqual([
      expect.objectContaining({
        line: 3,
        column: 38,
        path: 'services.api.start.port',
        message: 'port must be a number from 1 to 65535 or a {{ placeholder }}, got "80800"',
      }),
      expect.objectContaining({
        line: 5,
        column: 22,
        path: 'services.api.health[0].tcp.port',
        message: expect.stringContaining('got "http"'),
      }),
    ]);
  });

  it('rejects an artifact directory that does not exist, but not a templated one', () => {
    const problems = problemsOfYaml(`services:
  api:
    artifact: ./build
  worker:
    artifact: ./build/{{ version }}
${ENVS}`);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ line: 3, column: 15, path: 'services.api.artifact' });
    expect(problems[0]?.message).toMatch(/^artifact directory "\.\/build" does not exist \(\/.*\/build\)$/);
  });
});
