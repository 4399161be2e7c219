/**
 * One parsed YAML file with its positions. Validation works on plain data;
 * this module maps a config path such as `['services', 'api', 'needs', 1]`
 * back to a line and column, so every problem can name where it is.
 */
import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import {
  type Document,
  isAlias,
  isCollection,
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  parseDocument,
} from 'yaml';
import type { ConfigProblem } from '../model/project.js';
import { duplicateKeys } from './unique-keys.js';

/** A path into the config: map keys and list indexes. */
export type ConfigPath = readonly (string | number)[];

/** A parsed file. `data` is undefined when the YAML itself is broken. */
export interface SourceFile {
  /** Absolute path. */
  file: string;
  dir: string;
  doc: Document.Parsed;
  lines: LineCounter;
  data: unknown;
  syntaxProblems: ConfigProblem[];
}

/** Options for {@link problemAt}. */
export interface LocateOptions {
  /** Point at the map key rather than its value (unknown keys, bad names). */
  key?: boolean;
}

const PLAIN_KEY = /^[A-Za-z0-9_-]+$/;

/** `services.api.needs[1]`; keys that are not plain words are quoted: `services["api.v2"]`. */
export function formatPath(path: ConfigPath): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (PLAIN_KEY.test(segment)) out += out === '' ? segment : `.${segment}`;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out;
}

/** Reads and parses a file; fs errors are left to the caller. */
export function readSource(file: string): SourceFile {
  return parseSource(file, readFileSync(file, 'utf8'));
}

/** Parses YAML text as the file `file` (absolute). */
export function parseSource(file: string, text: string): SourceFile {
  const lines = new LineCounter();
  // Merge keys (`<<: *base`) are common in deployment files, so they are allowed. Duplicate keys
  // are found by duplicateKeys, in linear time: the library's own check compares each key with
  // every earlier key of its map (a file of 60,000 services took 31 s).
  const doc = parseDocument(text, {
    lineCounter: lines,
    prettyErrors: false,
    merge: true,
    uniqueKeys: false,
  });
  const source: SourceFile = { file, dir: dirname(file), doc, lines, data: undefined, syntaxProblems: [] };
  const at = (offset: number, path: ConfigPath, message: string) => {
    const { line, col } = lines.linePos(offset);
    source.syntaxProblems.push({ file, line, column: col, path: formatPath(path), message });
  };
  for (const error of doc.errors) {
    // Indentation errors point at the start of the line; the offending key is more useful.
    let offset = error.pos[0];
    while (text[offset] === ' ' || text[offset] === '\t') offset++;
    at(offset, pathAt(doc, offset), `invalid YAML: ${firstLine(error.message)}`);
  }
  const duplicates = duplicateKeys(doc);
  for (const { path, key } of duplicates) {
    at(
      key.range?.[0] ?? 0,
      path,
      `duplicate key "${path[path.length - 1]}": a key may appear only once in a map`,
    );
  }
  // An empty file is an empty map: it then gets the useful "no services" problems.
  if (source.syntaxProblems.length === 0) {
    try {
      source.data = doc.toJS() ?? {};
    } catch (err) {
      // toJS refuses documents that expand aliases excessively (a "billion laughs" file).
      source.syntaxProblems.push({
        file,
        line: 1,
        column: 1,
        path: '',
        message: `invalid YAML: ${(err as Error).message}`,
      });
    }
  }
  return source;
}

interface Found {
  /** The deepest node reached. */
  node: Node | undefined;
  /** The map key through which `node` was reached, if it was reached through one. */
  keyNode: Node | undefined;
  /** Whether the whole path exists. */
  complete: boolean;
}

function resolve(doc: Document.Parsed, node: unknown): unknown {
  return isAlias(node) ? node.resolve(doc) : node;
}

function find(doc: Document.Parsed, path: ConfigPath): Found {
  let node: unknown = doc.contents;
  let keyNode: Node | undefined;
  for (const segment of path) {
    const current = resolve(doc, node);
    if (isMap(current)) {
      const pair = current.items.find((p) => isScalar(p.key) && String(p.key.value) === String(segment));
      if (pair === undefined) return { node: current, keyNode, complete: false };
      keyNode = pair.key as Node;
      node = pair.value ?? undefined;
      // `key:` with nothing after it: the key is the only place to point at.
      if (node === undefined) return { node: keyNode, keyNode, complete: true };
    } else if (isSeq(current) && typeof segment === 'number' && segment < current.items.length) {
      keyNode = undefined;
      node = current.items[segment];
    } else {
      return { node: current as Node | undefined, keyNode, complete: false };
    }
  }
  return { node: resolve(doc, node) as Node | undefined, keyNode, complete: true };
}

function startOf(node: Node | undefined): number | undefined {
  return node?.range?.[0];
}

/** 1-based line and column of `path` in the file, or of its nearest existing parent. */
export function locate(
  source: SourceFile,
  path: ConfigPath,
  options: LocateOptions = {},
): { line: number; column: number } {
  const found = find(source.doc, path);
  let offset: number | undefined;
  if (found.complete) {
    // A map or list is best named by its key (`health:`), a scalar by its value.
    const valueIsEmpty = isScalar(found.node) && found.node.value === null && found.node.source === '';
    const atKey = options.key || valueIsEmpty || isCollection(found.node);
    offset = atKey ? (startOf(found.keyNode) ?? startOf(found.node)) : startOf(found.node);
  } else {
    // A missing key: the key that names its parent reads better than the parent's first child.
    offset = startOf(found.keyNode) ?? startOf(found.node);
  }
  if (offset === undefined) return { line: 1, column: 1 };
  const { line, col } = source.lines.linePos(offset);
  return { line, column: col };
}

/** A problem located in `source`. */
export function problemAt(
  source: SourceFile,
  path: ConfigPath,
  message: string,
  options: LocateOptions = {},
): ConfigProblem {
  const { line, column } = locate(source, path, options);
  return { file: source.file, line, column, path: formatPath(path), message };
}

/** The text of a scalar as written (e.g. `1.10`), used to suggest quoting. */
export function scalarText(source: SourceFile, path: ConfigPath): string | undefined {
  const found = find(source.doc, path);
  return found.complete && isScalar(found.node) ? found.node.source : undefined;
}

/** The path of the deepest node at `offset` (used to place YAML errors). */
function pathAt(doc: Document.Parsed, offset: number): (string | number)[] {
  const path: (string | number)[] = [];
  let node: unknown = doc.contents;
  const contains = (n: unknown): boolean => {
    const range = (n as Node | null | undefined)?.range;
    return range != null && range[0] <= offset && offset <= range[2];
  };
  for (;;) {
    if (isMap(node)) {
      const pair = node.items.find((p) => contains(p.key) || contains(p.value));
      if (pair === undefined || !isScalar(pair.key)) return path;
      path.push(String(pair.key.value));
      if (contains(pair.key)) return path;
      node = pair.value;
    } else if (isSeq(node)) {
      const index = node.items.findIndex((item) => contains(item));
      if (index < 0) return path;
      path.push(index);
      node = node.items[index];
    } else {
      return path;
    }
  }
}

function firstLine(text: string): string {
  return text.split('\n')[0] ?? text;
}
