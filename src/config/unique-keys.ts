/**
 * Duplicate map keys, found in one pass over a parsed document. The yaml
 * library can check this itself (`uniqueKeys`), but it compares each new key
 * with every earlier key of its map: a file of 60,000 services took 31 s to
 * parse. Here each map's keys go into a Set instead.
 *
 * Keys are equal as the library judges them: scalars by value (`1` and `1.0`
 * are one key, `1` and `"1"` are two; merge keys `<<` never repeat), any other
 * key (a map or list as a key, an alias) is never equal to another.
 */
import { type Document, isCollection, isMap, isPair, isScalar, type Node } from 'yaml';

/** A key that repeats an earlier key of its map: the path to it and its node. */
export interface DuplicateKey {
  path: (string | number)[];
  key: Node;
}

/** A path as links to the parent: only the paths of duplicates are ever spelled out. */
interface PathLink {
  up: PathLink | undefined;
  segment: string | number;
}

function spell(link: PathLink | undefined): (string | number)[] {
  const path: (string | number)[] = [];
  for (let at = link; at !== undefined; at = at.up) path.push(at.segment);
  return path.reverse();
}

/**
 * Every repeated key, in document order. Aliases are not followed (what they
 * name is checked where it is written).
 */
export function duplicateKeys(doc: Document.Parsed): DuplicateKey[] {
  const out: DuplicateKey[] = [];
  // An explicit stack: nesting as deep as the parser accepts cannot overflow ours. Only maps and
  // lists go on it; scalars have nothing inside.
  const stack: { node: unknown; path: PathLink | undefined }[] = [{ node: doc.contents, path: undefined }];
  const visit = (node: unknown, up: PathLink | undefined, segment: string | number) => {
    if (isCollection(node)) stack.push({ node, path: { up, segment } });
  };
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    const { node, path } = item;
    if (isMap(node)) {
      const seen = new Set<unknown>();
      for (const pair of node.items) {
        const key = pair.key;
        if (!isScalar(key)) {
          // A map or list as a key holds maps of its own.
          if (isCollection(key)) stack.push({ node: key, path });
          if (isCollection(pair.value)) stack.push({ node: pair.value, path });
          continue;
        }
        const value = key.value;
        // NaN is not equal to itself, so the library never finds `.nan` twice.
        if (seen.has(value) && !Number.isNaN(value)) {
          out.push({ path: spell({ up: path, segment: String(value) }), key: key as Node });
        }
        seen.add(value);
        visit(pair.value, path, String(value));
      }
    } else if (isCollection(node)) {
      node.items.forEach((child, index) => {
        visit(isPair(child) ? child.value : child, path, index);
      });
    }
  }
  // Maps come off the stack in no particular order: put the keys back in the order they are written.
  return out.sort((a, b) => (a.key.range?.[0] ?? 0) - (b.key.range?.[0] ?? 0));
}
