import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ProjectFile } from '../model/schema.js';
import { TEMPLATE_NAMES } from '../model/scope.js';
import { STARTER_CONFIG } from './index.js';
import { configJsonSchema, configReferenceMarkdown } from './reference.js';

// vitest runs from the repository root.
const repo = process.cwd();

describe('generated docs', () => {
  it('keeps docs/config-reference.md current (regenerate with scripts/gen-docs.mjs)', () => {
    expect(readFileSync(join(repo, 'docs/config-reference.md'), 'utf8')).toBe(configReferenceMarkdown());
  });

  it('keeps schema/marshal.schema.json current (regenerate with scripts/gen-docs.mjs)', () => {
    expect(JSON.parse(readFileSync(join(repo, 'schema/marshal.schema.json'), 'utf8'))).toEqual(
      configJsonSchema(),
    );
  });
});

describe('configReferenceMarkdown', () => {
  const md = configReferenceMarkdown();

  it('has a section per object, each with a key table', () => {
    for (const title of [
      'Project file',
      'Defaults',
      'Service',
      'Environment',
      'Host',
      'Health check',
      'Run step',
      'Rollback step',
      'Start',
      'Strategy',
      'Retry policy',
    ]) {
      expect(md).toContain(`\n## ${title}\n`);
    }
    expect(md).toContain('| key | type | default | description |');
    expect(md).toContain(
      '| `needs` | list of string | `[]` | Services that must be deployed and healthy first. |',
    );
    expect(md).toContain('| `interval` | [duration](#values) | `500ms` | Time between probes. |');
    expect(md).toContain('| `run` | string | **required** |');
  });

  it('says which way percentages round: batch sizes up, failure limits down (as docs/fleets.md)', () => {
    expect(md).toMatch(/\| `maxFailures` \|.*a percentage of the targets rounded down/);
    expect(md).toMatch(/\| `batchSize` \|.*percentage of the targets \(rounded up, at least 1\)/);
    expect(md).toContain(
      'a batch size rounds up (and is at least 1), a failure limit (`maxFailures`) rounds down',
    );
  });

  it('describes each form of a union of maps, with its keys: routers by type, canary steps by key', () => {
    expect(md).not.toMatch(/map or map/);
    expect(md).toContain(
      '| `routers` | map of [name](#values) → map by `type`: `nginx`, `haproxy` or `command` | `{}` |',
    );
    expect(md).toContain(
      '| `routers.<name>` with `type: haproxy` | map |  | An haproxy whose backend weights',
    );
    expect(md).toContain('| `routers.<name>.socket` | string | **required** | The admin socket');
    expect(md).toContain('| `routers.<name>.run` | string | **required** | Shell command;');
    expect(md).toContain('| `steps` | list of map with one of `setWeight`, `pause` or `analysis` |');
    expect(md).toContain('| `steps[]` with `pause` | map |  | Wait, at the weight set so far. |');
    expect(md).toContain('| `steps[].pause.duration` | [duration](#values) |  | How long;');
    expect(md).toContain('| `steps[].analysis` | [name](#values) | **required** | An analysis (by name)');
  });

  it('lists every template name and ends with the starter config', () => {
    for (const name of Object.keys(TEMPLATE_NAMES)) expect(md).toContain(`| \`{{ ${name} }}\` |`);
    expect(md).toContain(`\`\`\`yaml\n${STARTER_CONFIG.trimEnd()}\n\`\`\``);
  });
});

describe('configJsonSchema', () => {
  it('describes the input form of the project file', () => {
    const schema = configJsonSchema() as { title: string; $id: string; properties: Record<string, unknown> };
    expect(schema.title).toBe('marshal.yaml');
    expect(schema.$id).toMatch(/marshal/);
    expect(Object.keys(schema.properties)).toEqual(Object.keys(ProjectFile.shape));
  });
});
