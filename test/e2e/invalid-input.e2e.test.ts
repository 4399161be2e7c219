/**
 * Bad input through the CLI: every mistake exits 2 with file:line:column and
 * the config path, and nothing is written (no store, no deploy roots).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { marshal, type TempProject, tempProject } from './harness.js';

const GOOD_ENV = `environments:
  dev:
    variables: { PORT: "8080" }
    groups:
      app:
        hosts: [h1]
`;

/** Each case: the marshal.yaml text and the location/path/message the error must show. */
const CASES: { name: string; yaml: string; expect: RegExp }[] = [
  {
    name: 'unknown service in needs, with a suggestion',
    yaml: `services:\n  db:\n    group: app\n  api:\n    group: app\n    needs: [dbb]\n${GOOD_ENV}`,
    expect: /marshal\.yaml:6:13: services\.api\.needs\[0\]: unknown service "dbb" — did you mean "db"\?/,
  },
  {
    name: 'dependency cycle, named',
    yaml: `services:\n  api:\n    group: app\n    needs: [worker]\n  worker:\n    group: app\n    needs: [api]\n${GOOD_ENV}`,
    expect: /marshal\.yaml:4:13: services\.api\.needs\[0\]: dependency cycle: api → worker → api/,
  },
  {
    name: 'misspelled key',
    yaml: `services:\n  api:\n    group: app\n    helth:\n      command: "true"\n${GOOD_ENV}`,
    expect: /marshal\.yaml:4:5: services\.api\.helth: unknown key "helth" — did you mean "health"\?/,
  },
  {
    name: 'wrong type',
    yaml: `services:\n  api:\n    group: app\n    needs: db\n${GOOD_ENV}`,
    expect: /marshal\.yaml:4:12: services\.api\.needs: expected a list/,
  },
  {
    name: 'bad duration',
    yaml: `services:\n  api:\n    group: app\n    timeout: 5 minutes\n${GOOD_ENV}`,
    expect: /marshal\.yaml:4:14: services\.api\.timeout: .*duration/,
  },
  {
    name: 'bad service name',
    yaml: `services:\n  Api_Server!:\n    group: app\n${GOOD_ENV}`,
    expect: /marshal\.yaml:2:3: services\["Api_Server!"\]: invalid name "Api_Server!"/,
  },
  {
    name: 'health check with two kinds',
    yaml: `services:\n  api:\n    group: app\n    health:\n      command: "true"\n      tcp: { port: 80 }\n${GOOD_ENV}`,
    expect: /marshal\.yaml:4:5: services\.api\.health: .*exactly one of http, tcp or command/,
  },
  {
    name: 'unknown placeholder',
    yaml: `services:\n  api:\n    group: app\n    steps:\n      - run: echo {{ verison }}\n${GOOD_ENV}`,
    expect: /marshal\.yaml:5:14: services\.api\.steps\[0\]\.run: .*unknown name "verison"/,
  },
  {
    name: 'undefined environment variable',
    yaml: `services:\n  api:\n    group: app\n    steps:\n      - run: echo {{ env.PROT }}\n${GOOD_ENV}`,
    expect: /marshal\.yaml:5:14: services\.api\.steps\[0\]\.run: .*no variable "PROT"/,
  },
  {
    name: 'YAML syntax error',
    yaml: `services:\n  api:\n    group: app\n    needs: [db\n${GOOD_ENV}`,
    expect: /marshal\.yaml:\d+:\d+: .*(YAML|flow|collection)/i,
  },
  {
    name: 'group in no environment',
    yaml: `services:\n  api:\n    group: ap\n${GOOD_ENV}`,
    expect: /marshal\.yaml:3:12: services\.api\.group: .*"ap".*did you mean "app"\?/,
  },
  {
    name: 'duplicate step names',
    yaml: `services:\n  api:\n    group: app\n    steps:\n      - { name: migrate, run: "true" }\n      - { name: migrate, run: "true" }\n${GOOD_ENV}`,
    expect: /marshal\.yaml:6:\d+: services\.api\.steps\[1\]\.name: .*migrate/,
  },
  {
    name: 'bad port',
    yaml: `services:\n  api:\n    group: app\n    artifact: .\n    start:\n      command: node server.js\n      port: "eighty"\n${GOOD_ENV}`,
    expect: /marshal\.yaml:7:13: services\.api\.start\.port: .*port/,
  },
  {
    name: 'bad version',
    yaml: `services:\n  api:\n    group: app\n    version: ../../etc\n${GOOD_ENV}`,
    expect: /marshal\.yaml:4:14: services\.api\.version: must be a version/,
  },
  {
    name: 'bad batch size',
    yaml: `services:\n  api:\n    group: app\n    strategy:\n      type: rolling\n      batchSize: lots\n${GOOD_ENV}`,
    expect: /marshal\.yaml:6:18: services\.api\.strategy\.batchSize: .*count or a percentage/,
  },
  {
    name: 'a service that needs itself',
    yaml: `services:\n  api:\n    group: app\n    needs: [api]\n${GOOD_ENV}`,
    expect: /marshal\.yaml:4:13: services\.api\.needs\[0\]: .*itself/,
  },
  {
    name: 'missing include',
    yaml: `include: [services/missing.yaml]\nservices:\n  api:\n    group: app\n${GOOD_ENV}`,
    expect: /marshal\.yaml:1:11: include\[0\]: .*services\/missing\.yaml/,
  },
];

const projects: TempProject[] = [];
afterAll(() => {
  for (const p of projects) p.cleanup();
});

describe('invalid configs through the CLI', () => {
  it('covers at least 15 distinct mistakes', () => {
    expect(new Set(CASES.map((c) => c.name)).size).toBeGreaterThanOrEqual(15);
  });

  for (const c of CASES) {
    it(`${c.name}: exit 2, file:line:column and path, nothing written`, async () => {
      const project = tempProject({ 'marshal.yaml': c.yaml });
      projects.push(project);
      const result = await marshal(project.dir, ['deploy', 'dev', '--version', 'v1']);
      expect(result.code, result.stderr).toBe(2);
      expect(result.stderr).toMatch(/^error\[CONFIG_INVALID\]: \d+ problems? in marshal\.yaml/);
      expect(result.stderr).toMatch(c.expect);
      expect(existsSync(join(project.dir, '.marshal'))).toBe(false);
    });
  }
});

describe('invalid arguments through the CLI', () => {
  const project = tempProject({
    'marshal.yaml': `services:\n  api:\n    group: app\n    steps: [{ run: "true" }]\n${GOOD_ENV}`,
  });
  projects.push(project);

  const cases: [string, string[], RegExp][] = [
    ['unknown environment', ['deploy', 'prod', '--version', 'v1'], /unknown environment "prod"/],
    ['unknown service', ['deploy', 'dev', '--version', 'v1', '--services', 'apu'], /unknown service "apu"/],
    ['no version', ['deploy', 'dev'], /no version for service "api"/],
    ['malformed --set', ['deploy', 'dev', '--set', 'api'], /expected <service>=<version>/],
    ['unsafe version', ['deploy', 'dev', '--version', 'v1;rm'], /invalid version "v1;rm"/],
    [
      'bad concurrency',
      ['deploy', 'dev', '--version', 'v1', '--concurrency', '0'],
      /--concurrency must be a positive integer/,
    ],
    ['unknown option', ['deploy', 'dev', '--versoin', 'v1'], /unknown option '--versoin'/],
    ['bad run id', ['show', 'abc'], /"abc" is not a run id/],
  ];
  for (const [name, args, message] of cases) {
    it(`${name}: exit 2 and nothing written`, async () => {
      const result = await marshal(project.dir, args);
      expect(result.code, result.stderr).toBe(2);
      expect(result.stderr).toMatch(message);
      expect(existsSync(join(project.dir, '.marshal'))).toBe(false);
    });
  }
});
