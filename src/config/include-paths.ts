/**
 * The files `include:` entries name, without reading them: what the project cache checks
 * before it trusts a cached project (so it needs no YAML parser).
 */
import { resolve } from 'node:path';
import { globSync, isDynamicPattern } from 'tinyglobby';

/** The files a glob entry matches, sorted: the order files are read in. */
export function globMatches(pattern: string, dir: string): string[] {
  return globSync(pattern, { cwd: dir, absolute: true, onlyFiles: true, dot: false }).sort();
}

/**
 * The files `include:` entries name, in reading order, each once, never the root — or
 * undefined when an entry names nothing (a full load reports that).
 */
export function includedFiles(
  rootFile: string,
  rootDir: string,
  entries: readonly string[],
): string[] | undefined {
  const seen = new Set<string>([rootFile]);
  const out: string[] = [];
  for (const entry of entries) {
    const files = isDynamicPattern(entry) ? globMatches(entry, rootDir) : [resolve(rootDir, entry)];
    if (files.length === 0) return undefined;
    for (const file of files) {
      if (seen.has(file)) continue;
      seen.add(file);
      out.push(file);
    }
  }
  return out;
}
