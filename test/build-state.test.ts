import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildInputs, inputsDigest, isStale, writeStamp } from '../scripts/build-state.mjs';

let root: string;
const write = (file: string, text: string) => {
  mkdirSync(dirname(join(root, file)), { recursive: true });
  writeFileSync(join(root, file), text);
};
/** What a finished build leaves: its outputs and the stamp of the inputs it read. */
const built = () => {
  write('dist/cli/main.js', '');
  write('dist/bundle/marshal.cjs', '');
  writeStamp(root, inputsDigest(root));
};

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'marshal-build-state-'));
  write('src/cli/main.ts', 'export const a = 1;\n');
  write('src/cli/main.test.ts', 'test\n');
  write('src/config/fixtures/tmp-project.ts', 'fixture\n');
  write('src/testing/store-contract-fixtures.ts', 'built: a file, not a fixtures/ directory\n');
  write('scripts/bundle.mjs', '');
  write('tsconfig.json', '{}');
  write('package-lock.json', '{}');
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe('build inputs', () => {
  it('are the sources tsc builds and the build settings, not tests or fixtures', () => {
    expect(buildInputs(root)).toEqual([
      'package-lock.json',
      'scripts/bundle.mjs',
      'src/cli/main.ts',
      'src/testing/store-contract-fixtures.ts',
      'tsconfig.json',
    ]);
  });

  it('of this repository include the CLI and what is installed', () => {
    const inputs = buildInputs(new URL('..', import.meta.url).pathname);
    expect(inputs).toContain('src/cli/main.ts');
    expect(inputs).toContain('scripts/bundle.mjs');
    expect(inputs).toContain('node_modules/.package-lock.json');
    expect(inputs.filter((f) => f.endsWith('.test.ts'))).toEqual([]);
  });
});

describe('a stale dist', () => {
  it('is one never built, or whose outputs are gone', () => {
    expect(isStale(root)).toBe(true);
    built();
    expect(isStale(root)).toBe(false);
    rmSync(join(root, 'dist/bundle/marshal.cjs'));
    expect(isStale(root)).toBe(true);
  });

  it('is one built before a source changed, appeared or was renamed', () => {
    built();
    write('src/cli/main.ts', 'export const a = 2;\n');
    expect(isStale(root)).toBe(true);
    built();
    write('src/cli/extra.ts', '');
    expect(isStale(root)).toBe(true);
    built();
    renameSync(join(root, 'src/cli/extra.ts'), join(root, 'src/cli/other.ts'));
    expect(isStale(root)).toBe(true);
  });

  it('is one built before the build settings or the installed packages changed', () => {
    built();
    write('package-lock.json', '{"lockfileVersion":3}');
    expect(isStale(root)).toBe(true);
    built();
    write('node_modules/.package-lock.json', '{}');
    expect(isStale(root)).toBe(true);
  });

  it('is not one where only tests or fixtures changed, or a file was rewritten as it was', () => {
    built();
    write('src/cli/main.test.ts', 'another test\n');
    write('src/cli/new.test.ts', '');
    write('src/config/fixtures/tmp-project.ts', 'another fixture\n');
    write('src/cli/main.ts', 'export const a = 1;\n');
    expect(isStale(root)).toBe(false);
  });
});
