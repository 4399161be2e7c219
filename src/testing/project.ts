/** Builds a validated Project from a plain object, for tests that do not read files. */
import type { Project } from '../model/project.js';
import { ProjectFile } from '../model/schema.js';

export function testProject(raw: unknown, projectDir = '/tmp/marshal-test-project'): Project {
  const config = ProjectFile.parse(raw);
  return {
    config,
    configFile: `${projectDir}/marshal.yaml`,
    projectDir,
    files: [`${projectDir}/marshal.yaml`],
    digest: 'f'.repeat(64),
    serviceDirs: {},
  };
}

/** A service with the usual phases (upload, switch, start, health) on the `app` group. */
export function appService(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    group: 'app',
    artifact: 'build/{{ version }}',
    start: { command: 'run-server', port: 8000 },
    health: { http: { url: 'http://127.0.0.1:8000/health' } },
    ...extra,
  };
}
