import { describe, expect, it } from 'vitest';
import { MarshalError } from '../model/errors.js';
import { testProject } from '../testing/project.js';
import { checkArtifacts, localArtifacts } from './artifacts.js';
import { buildPlan } from './build.js';

const project = testProject({
  services: {
    api: { group: 'app', artifact: 'build/api-{{ version }}' },
    web: { group: 'app', provider: 'ssh', artifact: 'build/web-{{ host.zone }}-{{ version }}' },
    mock: { group: 'app', provider: 'simulate', artifact: 'build/mock-{{ version }}' },
    jobs: { group: 'app', steps: [{ run: 'true' }] },
  },
  environments: {
    dev: {
      groups: {
        app: {
          hosts: [
            { name: 'a-1', vars: { zone: 'eu' } },
            { name: 'a-2', vars: { zone: 'eu' } },
            { name: 'a-3', vars: { zone: 'us' } },
          ],
        },
      },
    },
  },
});
const plan = buildPlan(project, { environment: 'dev', version: 'v3' }, {});

describe('local artifacts of a plan', () => {
  it('lists what the uploads of local and ssh services read, rendered as the upload renders it', () => {
    expect(localArtifacts(plan)).toEqual([
      { service: 'api', artifact: 'build/api-v3', path: '/tmp/marshal-test-project/build/api-v3' },
      { service: 'web', artifact: 'build/web-eu-v3', path: '/tmp/marshal-test-project/build/web-eu-v3' },
      { service: 'web', artifact: 'build/web-us-v3', path: '/tmp/marshal-test-project/build/web-us-v3' },
    ]);
  });

  it('names every one that is not a directory, as invalid input', () => {
    const kinds: Record<string, 'directory' | 'other'> = {
      '/tmp/marshal-test-project/build/api-v3': 'directory',
      '/tmp/marshal-test-project/build/web-eu-v3': 'other',
    };
    let thrown: unknown;
    try {
      checkArtifacts(plan, (path) => kinds[path] ?? 'missing');
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(MarshalError);
    expect(thrown).toMatchObject({
      code: 'CONFIG_INVALID',
      message: '2 artifacts not found',
      details: {
        formatted: [
          'service web: artifact build/web-eu-v3 is not a directory (/tmp/marshal-test-project/build/web-eu-v3)',
          'service web: artifact build/web-us-v3 not found (/tmp/marshal-test-project/build/web-us-v3)',
        ],
      },
    });
    expect(() => checkArtifacts(plan, () => 'directory')).not.toThrow();
  });
});
