/**
 * Config path → line and column: every problem names where it is. Works on
 * the document a SourceFile parses (again, if it let it go) when a problem
 * needs placing; nothing here runs while a valid config is checked.
 */
import { type Document, isAlias, isCollection, isMap, isScalar, isSeq, type Node, type Pair } from 'yaml';
import type { ConfigProblem } from '../model/project.js';
import { type ConfigPath, formatPath, type LocateOptions, type SourceFile } from './yaml-source.js';

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

/**
 * Each map's pairs by key, built the first time a path goes through the map: a config with
 * thousands of problems in one map would otherwise search its items once per problem.
 */
const pairsByKey = new WeakMap<object, Map<string, Pair>>();

function pairOf(map: { items: Pair[] }, segment: string | number): Pair | undefined {
  let index = pairsByKey.get(map);
  if (index === undefined) {
    index = new Map();
    for (const pair of map.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : undefined;
      // The first of repeated keys, as a search from the start would find.
      if (key !== undefined && !index.has(key)) index.set(key, pair);
    }
    pairsByKey.set(map, index);
  }
  return index.get(String(segment));
}

function find(doc: Document.Parsed, path: ConfigPath): Found {
  let node: unknown = doc.contents;
  let keyNode: Node | undefined;
  for (const segment of path) {
    const current = resolve(doc, node);
    if (isMap(current)) {
      const pair = pairOf(current, segment);
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
  const { doc, lines } = source.positions();
  const found = find(doc, path);
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
  const { line, col } = lines.linePos(offset);
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
  const found = find(source.positions().doc, path);
  return found.complete && isScalar(found.node) ? found.node.source : undefined;
}
