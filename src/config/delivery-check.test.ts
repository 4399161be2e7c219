import { describe, expect, it } from 'vitest';
import { problemsOfYaml } from './fixtures/tmp-project.js';

const service = (strategy: string, provider = 'local') => `analyses:
  errors: { command: "true", successCondition: "result == 0" }
services:
  api:
    group: app
    provider: ${provider}
    artifact: "{{ version }}"
    start: { command: serve }
    strategy:
${strategy}
environments:
  dev:
    routers:
      edge: { type: command, run: apply }
    groups:
      app: { hosts: [h1] }
`;
const slots = '      slots: { blue: { port: 8001 }, green: { port: 8002 } }';

describe('blue-green and canary references', () => {
  it('names a router the environment does not define, with a suggestion', () => {
    const [problem] = problemsOfYaml(service(`      type: blue-green\n      router: edg\n${slots}`));
    expect(problem).toMatchObject({ path: 'services.api.strategy.router', line: 11 });
    expect(problem?.message).toBe('dev has no router "edg" — did you mean "edge"?');
  });

  it('names an analysis that is not defined', () => {
    const [problem] = problemsOfYaml(
      service(
        `      type: canary\n      router: edge\n${slots}\n      steps:\n        - setWeight: 20\n        - analysis: eror`,
      ),
    );
    expect(problem).toMatchObject({ path: 'services.api.strategy.steps[1].analysis', line: 15 });
    expect(problem?.message).toBe('unknown analysis "eror" — did you mean "errors"?');
  });

  it('parses analysis conditions up front', () => {
    const [problem] = problemsOfYaml(
      service(`      type: blue-green\n      router: edge\n${slots}`).replace('result == 0', 'result <'),
    );
    expect(problem).toMatchObject({ path: 'analyses.errors.successCondition', line: 2 });
    expect(problem?.message).toContain('expected a number');
  });

  it('refuses slots on a provider that has none yet', () => {
    const [problem] = problemsOfYaml(service(`      type: blue-green\n      router: edge\n${slots}`, 'ssh'));
    expect(problem).toMatchObject({ path: 'services.api.strategy.type' });
    expect(problem?.message).toContain('blue-green needs the local provider');
  });
});
