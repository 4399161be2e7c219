/**
 * Loading a project: read the root file and its includes, validate each
 * against the schema, merge, then run the semantic checks. Semantic checks
 * only run once every file satisfies the schema: on half-valid data they
 * would mostly repeat the schema's complaints in other words.
 */
import { dirname, resolve } from 'node:path';
import { append } from '../model/arrays.js';
import { MarshalError } from '../model/errors.js';
import { collectGarbage } from '../model/heap.js';
import type { ConfigProblem, Project } from '../model/project.js';
import { type Config, IncludedFile, ProjectFile } from '../model/schema.js';
import { semanticProblems } from './checks.js';
import { deliveryProblems } from './delivery-check.js';
import { configDigest } from './digest.js';
import { expandHostsFiles } from './hosts-file.js';
import { readIncludes } from './includes.js';
import { zodProblems } from './issues.js';
import { problemAt } from './locate.js';
import { Locator, type Section } from './locator.js';
import { displayPath, sortProblems } from './problems.js';
import { templateProblems } from './templates-check.js';
import { readSource, type SourceFile } from './yaml-source.js';

type IncludedConfig = Pick<Config, 'services' | 'environments'>;

const SECTIONS: readonly Section[] = ['services', 'environments'];
const SINGULAR: Record<Section, string> = { services: 'service', environments: 'environment' };

/**
 * Reads, includes and validates `file`. Throws MarshalError `CONFIG_NOT_FOUND`
 * when the root file is missing, `CONFIG_INVALID` (with `details.problems`)
 * when anything is wrong.
 */
export function loadProject(file: string): Project {
  const configFile = resolve(file);
  const root = readRoot(file, configFile);
  const problems: ConfigProblem[] = [...root.syntaxProblems];
  const included = root.data === undefined ? { sources: [], problems: [] } : readIncludes(root);
  append(problems, included.problems);
  const sources = [root, ...included.sources];
  afterParsing(sources.reduce((n, s) => n + s.size, 0));
  const files = sources.map((s) => s.file);
  const locator = new Locator(root);

  let rootConfig: Config | undefined;
  if (root.data !== undefined) {
    const parsed = ProjectFile.safeParse(root.data);
    if (parsed.success) rootConfig = parsed.data;
    else append(problems, zodProblems(root, ProjectFile, parsed.error, root.data));
  }
  const includedConfigs: { source: SourceFile; config: IncludedConfig }[] = [];
  for (const source of included.sources) {
    append(problems, source.syntaxProblems);
    if (source.data === undefined) continue;
    const { data, rootOnly } = withoutRootOnlyKeys(source);
    append(problems, rootOnly);
    const parsed = IncludedFile.safeParse(data);
    if (parsed.success) includedConfigs.push({ source, config: parsed.data });
    else append(problems, zodProblems(source, IncludedFile, parsed.error, data));
  }
  append(problems, claimNames(sources, locator));

  if (problems.length === 0 && rootConfig !== undefined) {
    const config = merge(rootConfig, includedConfigs);
    const hostFiles = expandHostsFiles(config, locator);
    append(problems, hostFiles.problems);
    append(files, hostFiles.files);
    afterParsing(hostFiles.size);
    const services = Object.entries(config.services);
    const serviceDirs: Record<string, string> = {};
    for (const [name] of services) serviceDirs[name] = locator.sourceOf(['services', name]).dir;
    if (problems.length === 0) {
      const ctx = { config, locator, serviceDirs, services };
      append(problems, semanticProblems(ctx));
      append(problems, templateProblems(ctx));
      append(problems, deliveryProblems(ctx));
    }
    if (problems.length === 0) {
      return {
        config,
        configFile,
        projectDir: dirname(configFile),
        files,
        digest: configDigest(config),
        serviceDirs,
      };
    }
  }
  const sorted = sortProblems(problems, files);
  const count = `${sorted.length} problem${sorted.length === 1 ? '' : 's'}`;
  throw new MarshalError('CONFIG_INVALID', `${count} in ${displayPath(configFile)}`, {
    details: { problems: sorted },
  });
}

/**
 * A million characters of YAML (~35,000 one-line services) that the yaml library parses (the
 * fast path declines anchors, block scalars…) leave ~100 MB of syntax tree behind as garbage,
 * collected now: V8 would otherwise let the checks fill as much again before its next
 * collection, and mark the garbage while they run (60,000 services: peak RSS ~330 → ~265 MB,
 * with the document let go as well; the checks ~1.7× faster). After the fast path it saves less
 * (~10 MB there), for one collection of a small heap.
 */
const COLLECT_AFTER_PARSING = 1_000_000;

function afterParsing(size: number): void {
  if (size >= COLLECT_AFTER_PARSING) collectGarbage();
}

function readRoot(given: string, configFile: string): SourceFile {
  try {
    return readSource(configFile);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const reason =
      code === 'ENOENT' || code === 'ENOTDIR'
        ? `no config file at ${given}`
        : code === 'EISDIR'
          ? `${given} is a directory, not a config file`
          : `cannot read ${given}: ${(err as Error).message}`;
    throw new MarshalError('CONFIG_NOT_FOUND', reason, { cause: err, details: { file: configFile } });
  }
}

/** Keys only the root may set: reported in words rather than as an unknown key, then ignored. */
function withoutRootOnlyKeys(source: SourceFile): { data: unknown; rootOnly: ConfigProblem[] } {
  const data = source.data;
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return { data, rootOnly: [] };
  const rest: Record<string, unknown> = { ...(data as Record<string, unknown>) };
  const rootOnly: ConfigProblem[] = [];
  for (const key of Object.keys(ProjectFile.shape)) {
    if (key in IncludedFile.shape || !(key in rest)) continue;
    delete rest[key];
    const message = `"${key}" can only be set in the root file; an included file adds services and environments`;
    rootOnly.push(problemAt(source, [key], message, { key: true }));
  }
  return { data: rest, rootOnly };
}

/** Records which file declares each service and environment; a second declaration is a problem. */
function claimNames(sources: readonly SourceFile[], locator: Locator): ConfigProblem[] {
  const out: ConfigProblem[] = [];
  for (const source of sources) {
    const data = source.data as Record<string, unknown> | undefined;
    for (const section of SECTIONS) {
      const entries = data?.[section];
      if (typeof entries !== 'object' || entries === null || Array.isArray(entries)) continue;
      for (const name of Object.keys(entries)) {
        const prior = locator.claim(section, name, source);
        if (prior === undefined) continue;
        const where = locator.where([section, name], { key: true }, prior);
        const message = `${SINGULAR[section]} "${name}" is defined twice; also defined at ${where}`;
        out.push(problemAt(source, [section, name], message, { key: true }));
      }
    }
  }
  return out;
}

function merge(root: Config, included: readonly { config: IncludedConfig }[]): Config {
  const config: Config = { ...root, services: { ...root.services }, environments: { ...root.environments } };
  for (const { config: part } of included) {
    Object.assign(config.services, part.services);
    Object.assign(config.environments, part.environments);
  }
  return config;
}
