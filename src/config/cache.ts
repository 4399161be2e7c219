/**
 * A content-addressed cache of the validated project. Parsing and checking a
 * large marshal.yaml costs far more than a small deploy (100 ms for 1,000
 * services); the result only depends on the bytes of the files read, so it is
 * kept beside the store and reused while every file hashes the same. Only a
 * valid project is cached; `marshal validate` always checks in full.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Project } from '../model/project.js';
import { sha256Hex } from '../model/sha256.js';
import { includedFiles } from './include-paths.js';

/** Bumped whenever the shape of a Project or the checks change. */
const CACHE_FORMAT = 1;

interface CacheEntry {
  format: number;
  hashes: Record<string, string>;
  include: string[];
  project: Project;
}

function hashFile(file: string): string | undefined {
  try {
    return sha256Hex(readFileSync(file));
  } catch {
    return undefined;
  }
}

function cacheFile(configFile: string): string {
  return join(dirname(configFile), '.marshal', 'cache', 'project.json');
}

function readEntry(configFile: string): Project | undefined {
  let entry: CacheEntry;
  try {
    entry = JSON.parse(readFileSync(cacheFile(configFile), 'utf8')) as CacheEntry;
  } catch {
    return undefined;
  }
  if (entry.format !== CACHE_FORMAT || entry.project.configFile !== configFile) return undefined;
  if (hashFile(configFile) !== entry.hashes[configFile]) return undefined;
  // The root is unchanged, so are its include entries; their globs may match other files now.
  const files = includedFiles(configFile, dirname(configFile), entry.include);
  // Included files come right after the root; hosts files, named inside them, after those.
  const read = entry.project.files.slice(1);
  if (files === undefined || files.some((file, i) => read[i] !== file)) return undefined;
  for (const file of read) if (hashFile(file) !== entry.hashes[file]) return undefined;
  return entry.project;
}

/** Caches a valid project (deploys call this once their input is known to be good). */
export function saveProjectCache(project: Project): void {
  const hashes: Record<string, string> = {};
  for (const file of project.files) {
    const hash = hashFile(file);
    if (hash === undefined) return;
    hashes[file] = hash;
  }
  const entry: CacheEntry = { format: CACHE_FORMAT, hashes, include: project.config.include, project };
  const target = cacheFile(project.configFile);
  try {
    mkdirSync(dirname(target), { recursive: true });
    const temp = `${target}.${process.pid}.tmp`;
    writeFileSync(temp, JSON.stringify(entry));
    renameSync(temp, target);
  } catch {
    // A cache that cannot be written only costs time.
  }
}

/**
 * loadProject, answered from the cache when every file read last time is byte-for-byte the
 * same. `fromCache` tells whether it was; nothing is written here.
 */
export async function loadProjectCached(file: string): Promise<{ project: Project; fromCache: boolean }> {
  const configFile = resolve(file);
  const cached = readEntry(configFile);
  if (cached !== undefined) return { project: cached, fromCache: true };
  return { project: await loadProject(configFile), fromCache: false };
}

/** Reads and checks a project in full (see ./load.js), loading the validator on first use. */
export async function loadProject(file: string): Promise<Project> {
  return (await import('./load.js')).loadProject(file);
}
