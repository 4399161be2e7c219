/**
 * The condition language of analyses: comparisons of `result` with a number
 * or a quoted string, joined with `&&`, `||` and parentheses, e.g.
 * `result >= 0.95 && result <= 1`. Conditions are parsed once, up front, into
 * a tiny tree and evaluated by walking it: no eval, no Function, nothing a
 * config author could use to run code.
 *
 * Grammar (`&&` binds tighter than `||`, as in every C-like language):
 *
 *     or         := and ('||' and)*
 *     and        := primary ('&&' primary)*
 *     primary    := '(' or ')' | comparison
 *     comparison := operand ('<' | '<=' | '>' | '>=' | '==' | '!=') operand
 *     operand    := 'result' | number | '-' number | 'single' | "double"
 */
import { MarshalError } from './errors.js';

/** The comparison operators. */
export type ComparisonOperator = '<' | '<=' | '>' | '>=' | '==' | '!=';

/** One side of a comparison: the measured value or a literal. */
export type Operand = { kind: 'result' } | { kind: 'literal'; value: number | string };

/** A parsed condition. */
export type ConditionNode =
  | { kind: 'and' | 'or'; left: ConditionNode; right: ConditionNode }
  | { kind: 'compare'; op: ComparisonOperator; left: Operand; right: Operand };

/** What evaluating a condition gave: true/false, or why the value cannot be compared. */
export type ConditionValue = { ok: true; value: boolean } | { ok: false; reason: string };

/** A parsed condition, ready to evaluate against any number of results. */
export interface Condition {
  readonly source: string;
  readonly tree: ConditionNode;
  evaluate(result: number | string): ConditionValue;
}

type Token =
  | { kind: 'op'; text: ComparisonOperator | '&&' | '||' | '(' | ')' | '-'; pos: number }
  | { kind: 'number'; value: number; text: string; pos: number }
  | { kind: 'string'; value: string; text: string; pos: number }
  | { kind: 'name'; text: string; pos: number }
  | { kind: 'end'; text: ''; pos: number };

const HINT =
  'a condition compares `result` with a number or a quoted string (<, <=, >, >=, ==, !=), ' +
  'joined with && and || and grouped with parentheses, e.g. `result >= 0.95 && result <= 1`';

/**
 * Parses `source`. Throws a CONFIG_INVALID MarshalError naming what was
 * expected and the 1-based character position, e.g.
 * `successCondition \`result <\`: expected a number, a quoted string or result at position 9 (end of condition)`.
 * `label` names the condition in that message (e.g. `successCondition`).
 */
export function parseCondition(source: string, label = 'condition'): Condition {
  const fail = (why: string, pos: number): never => {
    const where = pos >= source.length ? `position ${pos + 1} (end of condition)` : `position ${pos + 1}`;
    throw new MarshalError('CONFIG_INVALID', `${label} \`${source}\`: ${why} at ${where}`, {
      hint: HINT,
      details: { condition: source, position: pos + 1 },
    });
  };
  if (source.trim() === '') fail('the condition is empty', 0);
  const tokens = tokenize(source, fail);
  let next = 0;
  const peek = (): Token => tokens[next] as Token;
  const take = (): Token => tokens[next++] as Token;
  const isOp = (t: Token, ...texts: string[]) => t.kind === 'op' && texts.includes(t.text);
  const describe = (t: Token) => (t.kind === 'end' ? 'the end' : `"${t.text}"`);

  const operand = (): Operand => {
    const t = take();
    if (t.kind === 'name') {
      if (t.text === 'result') return { kind: 'result' };
      return fail(`unknown name "${t.text}" (only result is defined)`, t.pos);
    }
    if (t.kind === 'number' || t.kind === 'string') return { kind: 'literal', value: t.value };
    if (isOp(t, '-')) {
      const n = take();
      if (n.kind === 'number') return { kind: 'literal', value: -n.value };
      return fail(`expected a number after "-", found ${describe(n)}`, n.pos);
    }
    return fail(`expected a number, a quoted string or result, found ${describe(t)}`, t.pos);
  };
  const comparison = (): ConditionNode => {
    const start = peek().pos;
    const left = operand();
    const op = take();
    if (op.kind !== 'op' || !isComparison(op.text)) {
      const found = op.kind === 'end' ? 'the end' : `"${op.text}"`;
      return fail(`expected a comparison (<, <=, >, >=, ==, !=), found ${found}`, op.pos);
    }
    const right = operand();
    if (left.kind !== 'result' && right.kind !== 'result')
      fail('a comparison needs result on one side', start);
    return { kind: 'compare', op: op.text, left, right };
  };
  const primary = (): ConditionNode => {
    if (!isOp(peek(), '(')) return comparison();
    take();
    const inner = or();
    const close = take();
    if (!isOp(close, ')')) fail(`expected ")" or an operator, found ${describe(close)}`, close.pos);
    return inner;
  };
  const chain = (kind: 'and' | 'or', op: '&&' | '||', operand: () => ConditionNode) => (): ConditionNode => {
    let left = operand();
    while (isOp(peek(), op)) {
      take();
      left = { kind, left, right: operand() };
    }
    return left;
  };
  const and = chain('and', '&&', primary);
  const or: () => ConditionNode = chain('or', '||', and);

  const tree = or();
  const rest = peek();
  if (rest.kind !== 'end') fail(`expected && or || or the end, found ${describe(rest)}`, rest.pos);
  return { source, tree, evaluate: (result) => evaluate(tree, result) };
}

const COMPARISONS = new Set<string>(['<', '<=', '>', '>=', '==', '!=']);
function isComparison(text: string): text is ComparisonOperator {
  return COMPARISONS.has(text);
}

const NUMBER = /^(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?/;
const NAME = /^[A-Za-z_][A-Za-z0-9_.]*/;
const OPERATORS = ['<=', '>=', '==', '!=', '&&', '||', '<', '>', '(', ')', '-'] as const;

function tokenize(source: string, fail: (why: string, pos: number) => never): Token[] {
  const tokens: Token[] = [];
  let pos = 0;
  while (pos < source.length) {
    const ch = source[pos] as string;
    if (/\s/.test(ch)) {
      pos++;
      continue;
    }
    const rest = source.slice(pos);
    const op = OPERATORS.find((o) => rest.startsWith(o));
    if (op !== undefined) {
      tokens.push({ kind: 'op', text: op, pos });
      pos += op.length;
      continue;
    }
    const number = NUMBER.exec(rest);
    if (number !== null) {
      const text = number[0];
      if (NAME.test(source.slice(pos + text.length)))
        fail(`"${text}" must be followed by a space or an operator`, pos + text.length);
      tokens.push({ kind: 'number', value: Number(text), text, pos });
      pos += text.length;
      continue;
    }
    const name = NAME.exec(rest);
    if (name !== null) {
      tokens.push({ kind: 'name', text: name[0], pos });
      pos += name[0].length;
      continue;
    }
    if (ch === '"' || ch === "'") {
      const [value, length] = readString(source, pos, fail);
      tokens.push({ kind: 'string', value, text: source.slice(pos, pos + length), pos });
      pos += length;
      continue;
    }
    const advice: Record<string, string> = {
      '=': 'use == to compare',
      '&': 'use && for "and"',
      '|': 'use || for "or"',
      '!': 'negation is not supported; use != or the opposite comparison',
    };
    fail(advice[ch] === undefined ? `unexpected "${ch}"` : `unexpected "${ch}" (${advice[ch]})`, pos);
  }
  tokens.push({ kind: 'end', text: '', pos: source.length });
  return tokens;
}

/** Reads a quoted string at `start`; a backslash escapes the next character. */
function readString(
  source: string,
  start: number,
  fail: (why: string, pos: number) => never,
): [string, number] {
  const quote = source[start];
  let value = '';
  for (let i = start + 1; i < source.length; i++) {
    const ch = source[i] as string;
    if (ch === quote) return [value, i - start + 1];
    if (ch === '\\' && i + 1 < source.length) {
      i++;
      value += source[i];
    } else {
      value += ch;
    }
  }
  return fail(`unterminated string (missing ${quote})`, start);
}

function evaluate(node: ConditionNode, result: number | string): ConditionValue {
  if (node.kind === 'compare') {
    const left = node.left.kind === 'result' ? result : node.left.value;
    const right = node.right.kind === 'result' ? result : node.right.value;
    return compare(node.op, left, right);
  }
  const left = evaluate(node.left, result);
  if (!left.ok) return left;
  // Short-circuit as people expect: `false && x` and `true || x` do not look at x.
  if (node.kind === 'and' ? !left.value : left.value) return left;
  return evaluate(node.right, result);
}

/** A string that is a plain number in JSON's sense (`"0.05"`), as a number; otherwise null. */
function numeric(value: string): number | null {
  const n = value.trim() === '' ? Number.NaN : Number(value);
  return Number.isFinite(n) ? n : null;
}

function compare(op: ComparisonOperator, a: number | string, b: number | string): ConditionValue {
  let x = a;
  let y = b;
  // JSON APIs often answer numbers as strings ("0.01"): compare those as the numbers they are.
  if (typeof x === 'string' && typeof y === 'number') x = numeric(x) ?? x;
  if (typeof y === 'string' && typeof x === 'number') y = numeric(y) ?? y;
  if (typeof x !== typeof y) {
    if (op === '==') return { ok: true, value: false };
    if (op === '!=') return { ok: true, value: true };
    return { ok: false, reason: `cannot compare ${JSON.stringify(a)} ${op} ${JSON.stringify(b)}` };
  }
  const value =
    op === '<'
      ? x < y
      : op === '<='
        ? x <= y
        : op === '>'
          ? x > y
          : op === '>='
            ? x >= y
            : op === '=='
              ? x === y
              : x !== y;
  return { ok: true, value };
}
