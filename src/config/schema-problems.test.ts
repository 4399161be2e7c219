import { describe, expect, it } from 'vitest';
import type { ConfigProblem } from '../model/project.js';
import { problemsOf, problemsOfYaml, writeProject } from './fixtures/tmp-project.js';
import { formatProblem } from './problems.js';

const ENVS = `environments:
  prod:
    groups:
      api: { hosts: [web1] }
`;

describe('YAML and schema problems', () => {
  it('suggests the key meant by an unknown top-level key', () => {
    const problems = problemsOfYaml(`project: demo
servces:
  api: {}
${ENVS}`);
    expect(problems).toEqual([
      {
        file: 'marshal.yaml',
        line: 2,
        column: 1,
        path: 'servces',
        message: 'unknown key "servces" — did you mean "services"?',
      },
    ]);
  });

  it('suggests the key meant by an unknown nested key', () => {
    const [problem, ...rest] = problemsOfYaml(`services:
  api:
    helth:
      command: "true"
${ENVS}`);
    expect(rest).toEqual([]);
    expect(problem).toMatchObject({ line: 3, column: 5, path: 'services.api.helth' });
    expect(problem?.message).toBe('unknown key "helth" — did you mean "health"?');
  });

  it('says which type was expected and which was found', () => {
    expect(
      problemsOfYaml(`services:
  api:
    needs: db
${ENVS}`),
    ).toEqual([
      {
        file: 'marshal.yaml',
        line: 3,
        column: 12,
        path: 'services.api.needs',
        message: 'expected a list, got a string',
      },
    ]);
  });

  it('rejects a duration it cannot read', () => {
    const [problem] = problemsOfYaml(`defaults:
  timeout: 5 minutes
services:
  api: {}
${ENVS}`);
    expect(problem).toMatchObject({ line: 2, column: 12, path: 'defaults.timeout' });
    expect(problem?.message).toContain('must be a duration such as 250ms, 5s, 1m30s (got "5 minutes")');
  });

  it('rejects a service name that is not a name, pointing at the key', () => {
    const [problem] = problemsOfYaml(`services:
  Api_Server: {}
${ENVS}`);
    expect(problem).toMatchObject({ line: 2, column: 3, path: 'services.Api_Server' });
    expect(problem?.message).toMatch(/^invalid name "Api_Server": must be a name: lower-case letters/);
  });

  it('rejects "rollback" as a service name: the steps of a rollback are named after it', () => {
    const [problem] = problemsOfYaml(`services:
  rollback: {}
${ENVS}`);
    expect(problem).toMatchObject({ line: 2, column: 3, path: 'services.rollback' });
    expect(problem?.message).toMatch(/^invalid name "rollback": "rollback" is reserved/);
  });

  it('rejects a health check with two kinds', () => {
    const [problem, ...rest] = problemsOfYaml(`services:
  api:
    health:
      http: { url: "http://127.0.0.1:8080/" }
      command: curl -f localhost
${ENVS}`);
    expect(rest).toEqual([]);
    expect(problem).toMatchObject({ line: 3, column: 5, path: 'services.api.health' });
    expect(problem?.message).toBe('a health check needs exactly one of http, tcp or command');
  });

  it('rejects a version outside the safe alphabet', () => {
    const [problem] = problemsOfYaml(`services:
  api:
    version: "1.0 beta"
${ENVS}`);
    expect(problem).toMatchObject({ line: 3, column: 14, path: 'services.api.version' });
    expect(problem?.message).toContain('must be a version');
    expect(problem?.message).toContain('(got "1.0 beta")');
  });

  it('asks to quote a version YAML read as a number', () => {
    const [problem] = problemsOfYaml(`services:
  api:
    version: 1.10
${ENVS}`);
    expect(problem).toMatchObject({ line: 3, column: 14, path: 'services.api.version' });
    expect(problem?.message).toBe('expected a string, got a number (1.1) — quote it: "1.10"');
  });

  it('rejects batch sizes that are neither a count nor a percentage', () => {
    const problems = problemsOfYaml(`services:
  api:
    strategy:
      type: rolling
      batchSize: 0
  web:
    strategy: { type: rolling, batchSize: "ten" }
${ENVS}`);
    expect(problems).toEqual([
      expect.objectContaining({
        line: 5,
        column: 18,
        path: 'services.api.strategy.batchSize',
        message: 'must be at least 1, got 0',
      }),
      expect.objectContaining({
        line: 7,
        column: 43,
        path: 'services.web.strategy.batchSize',
        message: 'must be a count or a percentage such as 25% (got "ten")',
      }),
    ]);
  });

  it('suggests the strategy type meant', () => {
    const [problem] = problemsOfYaml(`services:
  api:
    strategy: { type: rollin }
${ENVS}`);
    expect(problem).toMatchObject({ line: 3, column: 23, path: 'services.api.strategy.type' });
    expect(problem?.message).toBe(
      'unknown type "rollin" — did you mean "rolling"? (one of: all-at-once, rolling, blue-green, canary)',
    );
  });

  it('picks the plausible branch of a union: a misspelt rollback step', () => {
    const [problem] = problemsOfYaml(`services:
  api:
    rollback:
      - restor
${ENVS}`);
    expect(problem).toMatchObject({ line: 4, column: 9, path: 'services.api.rollback[0]' });
    expect(problem?.message).toBe('expected "restore", got "restor" — did you mean "restore"?');
  });

  it('points a missing required key at its parent', () => {
    const [problem] = problemsOfYaml(`services:
  api:
    steps:
      - name: build
        timeout: 5s
${ENVS}`);
    expect(problem).toMatchObject({ line: 4, column: 9, path: 'services.api.steps[0].run' });
    expect(problem?.message).toBe('missing required key "run"');
  });

  it('reports a YAML syntax error with its position', () => {
    const problems = problemsOfYaml(`services:
  api:
    needs: [db]
   steps: []
${ENVS}`);
    expect(problems).toEqual([
      {
        file: 'marshal.yaml',
        line: 4,
        column: 4,
        path: 'services.steps',
        message: 'invalid YAML: All mapping items must start at the same column',
      },
    ]);
  });

  it('rejects a duplicate key', () => {
    const [problem] = problemsOfYaml(`services:
  api: {}
  api: {}
${ENVS}`);
    expect(problem).toMatchObject({ line: 3, column: 3, path: 'services.api' });
    expect(problem?.message).toBe('duplicate key "api": a key may appear only once in a map');
  });

  it('says in its own words that a file holds one document, and where the second begins', () => {
    const problems = problemsOfYaml(`services:
  api: {}
${ENVS}---
services:
  web: {}
`);
    expect(problems).toEqual([
      {
        file: 'marshal.yaml',
        line: 7,
        column: 1,
        path: '',
        message: 'a config file holds one YAML document; found a second one starting here',
      },
    ]);
    expect(formatProblem({ ...(problems[0] as ConfigProblem), file: '/p/marshal.yaml' }, '/p')).toBe(
      'marshal.yaml:7:1: a config file holds one YAML document; found a second one starting here',
    );
  });

  it('collects problems from every file, root first, by line', () => {
    const dir = writeProject({
      'marshal.yaml': `include: [more.yaml]
services:
  api: { needs: 1 }
${ENVS}`,
      'more.yaml': `services:
  web: { timeout: soon }
`,
    });
    expect(problemsOf(dir).map((p) => `${p.file}:${p.line}:${p.column}`)).toEqual([
      'marshal.yaml:3:17',
      'more.yaml:2:19',
    ]);
  });
});

describe('include problems', () => {
  it('reports a missing included file at its include entry', () => {
    const [problem] = problemsOfYaml(`include:
  - services/api.yaml
services:
  api: {}
${ENVS}`);
    expect(problem).toEqual({
      file: 'marshal.yaml',
      line: 2,
      column: 5,
      path: 'include[0]',
      message: 'included file "services/api.yaml" does not exist',
    });
  });

  it('reports a glob that matches nothing', () => {
    const [problem] = problemsOfYaml(
      `include: [other.yaml, "services/*.yaml"]
services:
  api: {}
${ENVS}`,
      { 'other.yaml': 'services: {}\n' },
    );
    expect(problem).toMatchObject({
      line: 1,
      column: 23,
      path: 'include[1]',
      message: 'no file matches "services/*.yaml"',
    });
  });

  it('names both places of a service defined in two files', () => {
    const dir = writeProject({
      'marshal.yaml': `include: ["services/*.yaml"]
services:
  api: {}
${ENVS}`,
      'services/a.yaml': `# the api, again
services:
  api:
    needs: []
`,
    });
    expect(problemsOf(dir)).toEqual([
      {
        file: 'a.yaml',
        line: 3,
        column: 3,
        path: 'services.api',
        message: 'service "api" is defined twice; also defined at marshal.yaml:3:3',
      },
    ]);
  });

  it('only lets the root file set project-wide keys', () => {
    const dir = writeProject({
      'marshal.yaml': `include: [more.yaml]
services:
  api: {}
${ENVS}`,
      'more.yaml': `defaults:
  timeout: 5s
`,
    });
    expect(problemsOf(dir)).toEqual([
      expect.objectContaining({
        file: 'more.yaml',
        line: 1,
        column: 1,
        path: 'defaults',
        message:
          '"defaults" can only be set in the root file; an included file adds services and environments',
      }),
    ]);
  });
});
