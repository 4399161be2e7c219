/**
 * A fast path for the YAML most config files are written in: block maps and
 * lists, one-line scalars (plain, or quoted without escapes), one-line flow
 * lists and maps, comments. The yaml library builds a syntax tree of ~90 bytes
 * per byte of text and parses ~1 MB/s here: 60,000 services took ~2 s of a
 * 3 s validate. This reads such text in one pass, straight to the data the
 * library's `toJS` would give.
 *
 * Anything else — anchors, aliases, tags, merge keys, block scalars, scalars
 * or flow collections over several lines, quoted keys, escapes, directives,
 * several documents, tabs, odd indentation, a repeated key, anything the
 * library might reject — gives {@link NOT_PLAIN}, and the library parses the
 * file: every problem is still reported and placed by the parser that knows
 * all of YAML. yaml-plain.test.ts compares the two on many documents.
 */

/** The answer when the text is not in the subset read here. */
export const NOT_PLAIN: unique symbol = Symbol('not plain YAML');

class NotPlain extends Error {}

function bail(): never {
  throw new NotPlain();
}

/** One line with content: its indentation (spaces) and the rest. */
interface Line {
  indent: number;
  text: string;
}

/** Characters that may not start a plain scalar (YAML's indicators), nor a key here. */
const INDICATOR = new Set([...'-?:,[]{}#&*!|>\'"%@`']);
/**
 * Control characters, line breaks other than \n, and whitespace other than the space (tabs, no-break
 * spaces: YAML trims only spaces and tabs, JavaScript's trim all of them): the library's business.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it looks for
const UNUSUAL = /[\u0000-\u0009\u000b-\u001f\u007f\u0085\u2028\u2029\ufeff]|[^\S \n]/;

const MAY_RESOLVE = new Set([...'~nNtTfF+-.0123456789']);

/** YAML 1.2 core schema, as the yaml library resolves a plain scalar (null, bool, int, float). */
function resolvePlain(s: string): unknown {
  // Every null, bool or number starts with one of these: most scalars (names) are strings at once.
  if (s !== '' && !MAY_RESOLVE.has(s[0] as string)) return s;
  if (/^(?:~|[Nn]ull|NULL)?$/.test(s)) return null;
  if (/^(?:[Tt]rue|TRUE)$/.test(s)) return true;
  if (/^(?:[Ff]alse|FALSE)$/.test(s)) return false;
  if (/^0o[0-7]+$/.test(s)) return Number.parseInt(s.slice(2), 8);
  if (/^[-+]?[0-9]+$/.test(s)) return Number.parseInt(s, 10);
  if (/^0x[0-9a-fA-F]+$/.test(s)) return Number.parseInt(s.slice(2), 16);
  if (/^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/.test(s)) {
    if (s.slice(-3).toLowerCase() === 'nan') return Number.NaN;
    return s[0] === '-' ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  }
  if (/^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$/.test(s) && /[.eE]/.test(s))
    return Number.parseFloat(s);
  return s;
}

/** A key: a plain word that resolves to a string, short enough to be an implicit key. */
function plainKey(s: string): string {
  if (s === '' || s.length > 1000 || INDICATOR.has(s[0] as string) || s.endsWith(' ')) bail();
  if (s.includes(' #') || s.includes(': ') || s.endsWith(':') || s === '<<' || s === '__proto__') bail();
  if (typeof resolvePlain(s) !== 'string') bail();
  return s;
}

/** Skips spaces; at a comment or the end, the line is done. */
function atEnd(s: string, pos: number): boolean {
  let p = pos;
  while (s[p] === ' ') p++;
  return p === s.length || s[p] === '#';
}

/** A value on one line (scalar or flow), which must take the whole rest of the line. */
function inlineValue(s: string): unknown {
  const c = s[0];
  if (c === '"' || c === "'" || c === '[' || c === '{') {
    const [value, end] = c === '[' || c === '{' ? flow(s, 0) : quoted(s, 0);
    // A comment needs a space before it; anything else after the value is an error.
    if (end < s.length && s[end] !== ' ') bail();
    if (!atEnd(s, end)) bail();
    return value;
  }
  // A plain scalar: '-' may start one when a digit or dot follows (negative numbers).
  if (c === undefined || (INDICATOR.has(c) && !(c === '-' && /[0-9.]/.test(s[1] ?? '')))) bail();
  const comment = s.indexOf(' #');
  const text = (comment === -1 ? s : s.slice(0, comment)).trimEnd();
  if (text.includes(': ') || text.endsWith(':')) bail();
  return resolvePlain(text);
}

/** A quoted scalar from `pos`; returns it and the position after its closing quote. */
function quoted(s: string, pos: number): [string, number] {
  const q = s[pos];
  if (q === '"') {
    const end = s.indexOf('"', pos + 1);
    if (end === -1 || s.slice(pos + 1, end).includes('\\')) bail();
    return [s.slice(pos + 1, end), end + 1];
  }
  let out = '';
  let p = pos + 1;
  for (;;) {
    const end = s.indexOf("'", p);
    if (end === -1) bail();
    out += s.slice(p, end);
    if (s[end + 1] !== "'") return [out, end + 1];
    out += "'";
    p = end + 2;
  }
}

/** A flow list or map on one line, from `pos`; returns it and the position after it. */
function flow(s: string, pos: number): [unknown, number] {
  const close = s[pos] === '[' ? ']' : '}';
  const list: unknown[] = [];
  const map: Record<string, unknown> = {};
  let p = skip(s, pos + 1);
  if (s[p] === close) return [close === ']' ? list : map, p + 1];
  for (;;) {
    if (close === ']') {
      const [item, end] = flowItem(s, p);
      list.push(item);
      p = skip(s, end);
    } else {
      const [key, afterKey] = flowItem(s, p);
      if (typeof key !== 'string' || key.length > 1000 || s[afterKey] !== ':' || s[afterKey + 1] !== ' ')
        bail();
      if (Object.hasOwn(map, key) || key === '__proto__' || key === '<<') bail();
      const [value, end] = flowItem(s, skip(s, afterKey + 1));
      map[key] = value;
      p = skip(s, end);
    }
    if (s[p] === close) return [close === ']' ? list : map, p + 1];
    // Another item must follow a comma: a trailing comma, or anything else, is left to the library.
    if (s[p] !== ',') bail();
    p = skip(s, p + 1);
    if (s[p] === close || s[p] === ',') bail();
  }
}

function skip(s: string, pos: number): number {
  let p = pos;
  while (s[p] === ' ') p++;
  return p;
}

/** One item of a flow collection: a nested one, a quoted or a plain scalar. */
function flowItem(s: string, pos: number): [unknown, number] {
  const c = s[pos];
  if (c === '[' || c === '{') return flow(s, pos);
  if (c === '"' || c === "'") {
    const [value, end] = quoted(s, pos);
    return [value, skip(s, end)];
  }
  if (c === undefined || (INDICATOR.has(c) && !(c === '-' && /[0-9.]/.test(s[pos + 1] ?? '')))) bail();
  let end = pos;
  while (end < s.length && !',[]{}'.includes(s[end] as string)) {
    // `:` then a space or an indicator makes a pair; ` #` a comment: neither is read here,
    // except the `: ` that ends a flow map's key (the caller checks it follows a key).
    if (s[end] === ':' && (end + 1 === s.length || ' ,[]{}'.includes(s[end + 1] as string))) break;
    if (s[end] === '#' && s[end - 1] === ' ') bail();
    end++;
  }
  const text = s.slice(pos, end).trimEnd();
  if (text === '') bail();
  return [resolvePlain(text), end];
}

/** Reads block structure line by line; `at` is the next line. */
class Reader {
  at = 0;
  constructor(private readonly lines: Line[]) {}

  private get next(): Line | undefined {
    return this.lines[this.at];
  }

  /** The node starting at the next line (a list or a map). */
  node(): unknown {
    const line = this.next as Line;
    return isItem(line.text) ? this.list(line.indent) : this.map(line.indent);
  }

  /** What follows `key:` or `-` with nothing after it: a block more indented, or null. */
  private nested(indent: number, listAllowedAtSameIndent: boolean): unknown {
    const next = this.next;
    if (next !== undefined && next.indent > indent) return this.node();
    // `key:` followed by `- item` at the key's own indentation is a list (a common style).
    if (listAllowedAtSameIndent && next !== undefined && next.indent === indent && isItem(next.text))
      return this.list(indent);
    return null;
  }

  /** After a one-line value, a more indented line would continue it over lines: not read here. */
  private endOfValue(indent: number): void {
    const next = this.next;
    if (next !== undefined && next.indent > indent) bail();
  }

  map(indent: number): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (let line = this.next; line !== undefined && line.indent === indent; line = this.next) {
      if (isItem(line.text)) break;
      const colon = mappingColon(line.text);
      const key = plainKey(line.text.slice(0, colon));
      if (Object.hasOwn(out, key)) bail();
      const rest = line.text.slice(colon + 1).trimStart();
      this.at++;
      if (rest === '' || rest[0] === '#') out[key] = this.nested(indent, true);
      else {
        out[key] = inlineValue(rest);
        this.endOfValue(indent);
      }
    }
    const after = this.next;
    if (after !== undefined && after.indent > indent) bail();
    return out;
  }

  list(indent: number): unknown[] {
    const out: unknown[] = [];
    for (let line = this.next; line !== undefined && line.indent === indent; line = this.next) {
      if (!isItem(line.text)) break;
      const spaces = line.text.length - 1 - line.text.slice(1).trimStart().length;
      const rest = line.text.slice(1 + spaces);
      if (rest === '' || rest[0] === '#') {
        this.at++;
        out.push(this.nested(indent, false));
      } else if (isItem(rest)) {
        bail();
      } else if (mappingColon(rest, false) >= 0) {
        // `- key: value`: a map whose keys line up one column after the dash and its spaces.
        const column = indent + 1 + spaces;
        this.lines[this.at] = { indent: column, text: rest };
        out.push(this.map(column));
      } else {
        this.at++;
        out.push(inlineValue(rest));
        this.endOfValue(indent);
      }
    }
    const after = this.next;
    if (after !== undefined && after.indent > indent) bail();
    return out;
  }
}

function isItem(text: string): boolean {
  return text[0] === '-' && (text.length === 1 || text[1] === ' ');
}

/** Where `key:` ends in a map line (a colon followed by a space or the end). */
function mappingColon(text: string, required = true): number {
  const c = text[0];
  if (c === '"' || c === "'" || c === '[' || c === '{') return required ? bail() : -1;
  const spaced = text.indexOf(': ');
  const colon = spaced !== -1 ? spaced : text.endsWith(':') ? text.length - 1 : -1;
  if (colon === -1 && required) bail();
  return colon;
}

/** The data of `text` as the yaml library's `parseDocument(text).toJS()` gives it, or NOT_PLAIN. */
export function parsePlainYaml(text: string): unknown {
  if (UNUSUAL.test(text)) return NOT_PLAIN;
  const lines: Line[] = [];
  let start = 0;
  while (start <= text.length) {
    let end = text.indexOf('\n', start);
    if (end === -1) end = text.length;
    const raw = text.slice(start, end);
    start = end + 1;
    let indent = 0;
    while (raw[indent] === ' ') indent++;
    const rest = raw.slice(indent).trimEnd();
    if (rest === '' || rest[0] === '#') continue;
    // Directives and document markers: several documents, or one marked, are the library's.
    if (indent === 0 && (rest[0] === '%' || rest.startsWith('---') || rest.startsWith('...')))
      return NOT_PLAIN;
    lines.push({ indent, text: rest });
  }
  if (lines.length === 0) return null;
  try {
    const reader = new Reader(lines);
    const first = lines[0] as Line;
    let data: unknown;
    if (first.text[0] === '[' || first.text[0] === '{') {
      if (lines.length > 1) return NOT_PLAIN;
      data = inlineValue(first.text);
      reader.at = 1;
    } else {
      data = reader.node();
    }
    return reader.at === lines.length ? data : NOT_PLAIN;
  } catch (error) {
    // A stack overflow included: nesting that deep is the library's to judge.
    if (error instanceof NotPlain || error instanceof RangeError) return NOT_PLAIN;
    throw error;
  }
}
