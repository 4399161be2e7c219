/**
 * `include:` of the root file: paths or globs, relative to it, each naming a
 * file that adds services and environments. Files are read in the order of
 * the entries (a glob's matches sorted), each at most once.
 */
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { isDynamicPattern } from 'tinyglobby';
import type { ConfigProblem } from '../model/project.js';
import { globMatches } from './include-paths.js';
import { problemAt } from './locate.js';
import { readSource, type SourceFile } from './yaml-source.js';

/** The included files that could be read, and the problems of the entries that could not. */
export interface Included {
  sources: SourceFile[];
  problems: ConfigProblem[];
}

/** Reads every file the root's `include:` names. Entries that are not strings are left to the schema. */
export function readIncludes(root: SourceFile): Included {
  const entries = (root.data as { include?: unknown } | undefined)?.include;
  const out: Included = { sources: [], problems: [] };
  if (!Array.isArray(entries)) return out;
  // The root never includes itself, even through a glob such as `*.yaml`.
  const seen = new Set<string>([root.file]);
  entries.forEach((entry: unknown, index) => {
    if (typeof entry !== 'string' || entry.trim() === '') return;
    const at = (message: string) => problemAt(root, ['include', index], message);
    let files: string[];
    if (isDynamicPattern(entry)) {
      files = globMatches(entry, root.dir);
      if (files.length === 0) {
        out.problems.push(at(`no file matches "${entry}"`));
        return;
      }
    } else {
      const file = resolve(root.dir, entry);
      const kind = fileKind(file);
      if (kind !== 'file') {
        out.problems.push(
          at(
            kind === 'missing'
              ? `included file "${entry}" does not exist`
              : `"${entry}" is a directory; include its files with a glob such as "${entry.replace(/\/$/, '')}/*.yaml"`,
          ),
        );
        return;
      }
      files = [file];
    }
    for (const file of files) {
      if (seen.has(file)) continue;
      seen.add(file);
      try {
        out.sources.push(readSource(file));
      } catch (err) {
        out.problems.push(at(`cannot read "${file}": ${(err as Error).message}`));
      }
    }
  });
  return out;
}

function fileKind(file: string): 'file' | 'directory' | 'missing' {
  try {
    return statSync(file).isDirectory() ? 'directory' : 'file';
  } catch {
    return 'missing';
  }
}
