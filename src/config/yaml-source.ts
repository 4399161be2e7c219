/**
 * One parsed YAML file. Validation works on plain data; problems are placed
 * by mapping a config path such as `['services', 'api', 'needs', 1]` back to
 * a line and column (./locate.ts), so every problem can name where it is.
 */
import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { type Document, isMap, isScalar, isSeq, LineCounter, type Node, parseDocument } from 'yaml';
import type { ConfigProblem } from '../model/project.js';
import { duplicateKeys } from './unique-keys.js';
import { NOT_FAST, parseFast } from './yaml-fast.js';

/** A path into the config: map keys and list indexes. */
export type ConfigPath = readonly (string | number)[];

/** The parsed document with the positions of its nodes. */
export interface Positions {
  doc: Document.Parsed;
  lines: LineCounter;
}

/** A parsed file. `data` is undefined when the YAML itself is broken. */
export interface SourceFile {
  /** Absolute path. */
  file: string;
  dir: string;
  /** Length of the text, in characters. */
  size: number;
  data: unknown;
  syntaxProblems: ConfigProblem[];
  /**
   * The document with positions, to place problems. A valid file's document is not kept (its
   * nodes take several times the memory of the data: ~50 MB for 60,000 one-line services) but
   * parsed again the first time a problem in that file needs placing.
   */
  positions(): Positions;
}

/** Options for {@link problemAt}. */
export interface LocateOptions {
  /** Point at the map key rather than its value (unknown keys, bad names). */
  key?: boolean;
}

const PLAIN_KEY = /^[A-Za-z0-9_-]+$/;

/** `---` then more: said in Marshal's words, the library's own message names its API (`parseAllDocuments()`). */
const SECOND_DOCUMENT = 'a config file holds one YAML document; found a second one starting here';

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

function parse(text: string): Positions {
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
  return { doc, lines };
}

/** Parses YAML text as the file `file` (absolute). */
export function parseSource(file: string, text: string): SourceFile {
  let positions: Positions | undefined;
  const source: SourceFile = {
    file,
    dir: dirname(file),
    size: text.length,
    data: undefined,
    syntaxProblems: [],
    positions: () => {
      positions ??= parse(text);
      return positions;
    },
  };
  // Most files are read by js-yaml, ~5 times faster (60,000 services: ~0.4 s, not ~2 s); the
  // library reads the rest, and any file whose problems must be placed.
  const fast = parseFast(text);
  if (fast !== NOT_FAST) {
    source.data = fast ?? {};
    return source;
  }
  positions = parse(text);
  const { doc, lines } = positions;
  const at = (offset: number, path: ConfigPath, message: string) => {
    const { line, col } = lines.linePos(offset);
    source.syntaxProblems.push({ file, line, column: col, path: formatPath(path), message });
  };
  for (const error of doc.errors) {
    // Indentation errors point at the start of the line; the offending key is more useful.
    let offset = error.pos[0];
    while (text[offset] === ' ' || text[offset] === '\t') offset++;
    if (error.code === 'MULTIPLE_DOCS') at(offset, [], SECOND_DOCUMENT);
    else at(offset, pathAt(doc, offset), `invalid YAML: ${firstLine(error.message)}`);
  }
  const duplicates = duplicateKeys(doc);
  for (const { path, key } of duplicates) {
    at(
      key.range?.[0] ?? 0,
      path,
      `duplicate key "${path[path.length - 1]}": a key may appear only once in a map`,
    );
  }
  if (source.syntaxProblems.length > 0) return source;
  try {
    // An empty file is an empty map: it then gets the useful "no services" problems.
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
    return source;
  }
  // Valid YAML: the nodes go (the data is all checks need), and come back if a problem is placed.
  positions = undefined;
  return source;
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
