/**
 * The fast way to a config file's data: js-yaml, which reads a file of 60,000 one-line
 * services (1.7 MB) in ~0.4 s where the yaml library, which keeps every node's position so
 * problems can be placed, takes ~2 s and builds a ~150 MB syntax tree. Both are YAML 1.2
 * parsers of the core schema (with merge keys, as the library is set up).
 *
 * Only a document js-yaml reads without complaint is answered here; anything it rejects —
 * a syntax error, a repeated key, a second document, an empty file, a tag outside the core
 * schema — and any document with anchors or aliases (the library limits how far aliases
 * expand; js-yaml would hand the validator an object graph of any size) gives
 * {@link NOT_FAST} (as does a key that may be null), and the library reads the file, reporting and placing every problem.
 * yaml-fast.test.ts checks that the two agree wherever this answers.
 */
import { CORE_SCHEMA, load, mergeTag } from 'js-yaml';

/** The answer when the library must read the text. */
export const NOT_FAST: unique symbol = Symbol('not for the fast path');

const SCHEMA = CORE_SCHEMA.withTags(mergeTag);

/** An anchor (`&a`) or alias (`*a`) may start here; a false alarm only costs the fast path. */
const ANCHOR_OR_ALIAS = /(?:^|[\s[{,])[&*][^\s,\]}]/m;
/**
 * A key that may be null (`~:`, `null:`, an empty key): js-yaml names it "null", the library
 * "" — the library's reading is the one problems are placed in, so it reads such files.
 */
const NULL_KEY = /(?:^[ \t-]*|[{,?][ \t]*)(?:~|null|Null|NULL)?[ \t]*:(?:[ \t]|$)/m;

/** The data of `text`, or {@link NOT_FAST}. */
export function parseFast(text: string): unknown {
  if (ANCHOR_OR_ALIAS.test(text) || NULL_KEY.test(text)) return NOT_FAST;
  try {
    return load(text, { schema: SCHEMA });
  } catch {
    return NOT_FAST;
  }
}
