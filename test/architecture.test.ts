import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = new URL('..', import.meta.url).pathname;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sourceFiles(path) : path.endsWith('.ts') ? [path] : [];
  });
}

describe('architecture', () => {
  it('keeps dependencies pointing downward (dependency-cruiser)', () => {
    const run = () =>
      execFileSync(
        join(root, 'node_modules/.bin/depcruise'),
        ['src', '--config', '.dependency-cruiser.cjs', '--output-type', 'err'],
        {
          cwd: root,
          encoding: 'utf8',
          stdio: 'pipe',
        },
      );
    expect(run).not.toThrow();
  });

  it('keeps production source files under 600 lines', () => {
    const long = sourceFiles(join(root, 'src'))
      .filter((f) => !f.endsWith('.test.ts'))
      .map((f) => ({ f: f.slice(root.length), lines: readFileSync(f, 'utf8').split('\n').length }))
      .filter(({ lines }) => lines > 600);
    expect(long).toEqual([]);
  });
});

/**
 * The modules `file` loads when it is loaded: static imports, followed through relative
 * paths; `import type` and dynamic `import()` are not loads at start-up.
 */
function staticClosure(file: string, seen = new Set<string>()): Set<string> {
  if (seen.has(file)) return seen;
  seen.add(file);
  if (!file.startsWith('src/')) return seen;
  const text = readFileSync(join(root, file), 'utf8');
  for (const m of text.matchAll(/^(?:import|export)\s+(?!type\b)(?:[^'";]*?\sfrom\s+)?'([^']+)';/gms)) {
    const spec = m[1] as string;
    const target = spec.startsWith('.')
      ? join(file, '..', spec).replace(/\.js$/, '.ts')
      : spec.replace(/^node:/, 'node:');
    staticClosure(target, seen);
  }
  return seen;
}

describe('start-up', () => {
  // A deploy answered from the project cache must not pay for the validator (zod, the YAML
  // parser): loading it costs more than planning a small deploy.
  it.each(['deploy', 'rollback', 'resume', 'status'])(
    '`marshal %s` does not load the validator',
    (command) => {
      const loaded = [
        ...staticClosure('src/cli/main.ts'),
        ...staticClosure(`src/cli/commands/${command}.ts`),
      ];
      const validator = (m: string) =>
        m === 'zod' || m === 'yaml' || m === 'js-yaml' || m.startsWith('src/model/schema');
      expect(loaded.filter(validator)).toEqual([]);
    },
  );

  it('sees a static import of the validator when there is one', () => {
    expect(staticClosure('src/config/load.ts')).toContain('src/model/schema.ts');
  });
});

describe('the CLI bundle', () => {
  // bin/marshal.js runs the bundle in a vm.Script (for V8's code cache), which has no loader
  // for import(): a node: module imported dynamically there fails at run time, in the CLI
  // only (the tests of the module itself pass). Lazy loads use createRequire instead.
  it('has no import() expressions', () => {
    const bundle = readFileSync(join(root, 'dist/bundle/marshal.cjs'), 'utf8');
    expect(bundle.match(/\bimport\(\s*["'`][^"'`]*["'`]\s*\)/g) ?? []).toEqual([]);
  });
});
