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
