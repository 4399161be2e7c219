/** Presenting and ordering config problems. */
import { isAbsolute, relative } from 'node:path';
import type { ConfigProblem } from '../model/project.js';

/** `file` relative to `base` when it is inside it, otherwise as given. */
export function displayPath(file: string, base: string = process.cwd()): string {
  const rel = relative(base, file);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) ? rel : file;
}

/**
 * One line for a person:
 * `marshal.yaml:12:5: services.api.needs[1]: unknown service "dbb" — did you mean "db"?`.
 * The file is shown relative to `cwd` when it lies inside it.
 */
export function formatProblem(p: ConfigProblem, cwd: string = process.cwd()): string {
  const where = `${displayPath(p.file, cwd)}:${p.line}:${p.column}`;
  return p.path === '' ? `${where}: ${p.message}` : `${where}: ${p.path}: ${p.message}`;
}

/**
 * Problems in reading order: by file (in the order files were read), line,
 * column; exact repeats (the same rule reached twice) are dropped.
 */
export function sortProblems(problems: readonly ConfigProblem[], files: readonly string[]): ConfigProblem[] {
  const rank = (file: string) => {
    const i = files.indexOf(file);
    return i < 0 ? files.length : i;
  };
  const seen = new Set<string>();
  return [...problems]
    .filter((p) => {
      const key = JSON.stringify([p.file, p.line, p.column, p.path, p.message]);
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    })
    .sort(
      (a, b) =>
        rank(a.file) - rank(b.file) ||
        a.file.localeCompare(b.file) ||
        a.line - b.line ||
        a.column - b.column ||
        a.path.localeCompare(b.path),
    );
}
