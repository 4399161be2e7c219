import { describe, expect, it } from 'vitest';
import { parseCondition } from './condition.js';
import { MarshalError } from './errors.js';

const holds = (source: string, result: number | string) => {
  const value = parseCondition(source).evaluate(result);
  if (!value.ok) throw new Error(value.reason);
  return value.value;
};

const parseError = (source: string, label?: string): MarshalError => {
  try {
    parseCondition(source, label);
  } catch (err) {
    if (err instanceof MarshalError) return err;
    throw err;
  }
  throw new Error(`parsed: ${source}`);
};

describe('parseCondition', () => {
  it('parses comparisons, && before ||, and parentheses into a tree', () => {
    expect(parseCondition('result < 0.05').tree).toEqual({
      kind: 'compare',
      op: '<',
      left: { kind: 'result' },
      right: { kind: 'literal', value: 0.05 },
    });
    const tree = parseCondition('result == 1 || result > 2 && result < 3').tree;
    expect(tree.kind).toBe('or');
    expect(tree.kind === 'or' && tree.right.kind).toBe('and');
    const grouped = parseCondition('(result == 1 || result > 2) && result < 3').tree;
    expect(grouped.kind).toBe('and');
  });

  it('evaluates every operator on numbers', () => {
    expect([0.04, 0.05, 0.06].map((r) => holds('result < 0.05', r))).toEqual([true, false, false]);
    expect([0.04, 0.05, 0.06].map((r) => holds('result <= 0.05', r))).toEqual([true, true, false]);
    expect([0.04, 0.05, 0.06].map((r) => holds('result > 0.05', r))).toEqual([false, false, true]);
    expect([0.04, 0.05, 0.06].map((r) => holds('result >= 0.05', r))).toEqual([false, true, true]);
    expect([0, 1].map((r) => holds('result == 0', r))).toEqual([true, false]);
    expect([0, 1].map((r) => holds('result != 0', r))).toEqual([false, true]);
  });

  it('accepts the literal on either side, negative numbers and exponents', () => {
    expect(holds('0.05 > result', 0.01)).toBe(true);
    expect(holds('result > -1.5', -1)).toBe(true);
    expect(holds('result >= - 2', -2)).toBe(true);
    expect(holds('result < 1e-3', 0.0005)).toBe(true);
    expect(holds('result < .5', 0.25)).toBe(true);
  });

  it('combines with && and || and parentheses', () => {
    const range = 'result >= 0.95 && result <= 1';
    expect([0.9, 0.95, 0.99, 1, 1.1].map((r) => holds(range, r))).toEqual([false, true, true, true, false]);
    expect([0, 1, 2, 3].map((r) => holds('result == 0 || result == 3', r))).toEqual([
      true,
      false,
      false,
      true,
    ]);
    expect(holds('(result < 1 || result > 5) && result != 0', 0)).toBe(false);
    expect(holds('result < 1 || result > 5 && result != 0', 0)).toBe(true);
    expect(holds('((result == 2))', 2)).toBe(true);
  });

  it('compares strings, and numeric strings as numbers', () => {
    expect(holds('result == "ok"', 'ok')).toBe(true);
    expect(holds("result == 'ok'", 'degraded')).toBe(false);
    expect(holds('result != "ok"', 'degraded')).toBe(true);
    expect(holds('result == "say \\"hi\\""', 'say "hi"')).toBe(true);
    expect(holds('result < 0.05', '0.01')).toBe(true);
    expect(holds('result == 200', '200')).toBe(true);
    expect(holds('result == "200"', 200)).toBe(true);
    expect(holds('result == 1', 'one')).toBe(false);
    expect(holds('result != 1', 'one')).toBe(true);
  });

  it('says when a value cannot be ordered against the literal', () => {
    expect(parseCondition('result < 0.05').evaluate('abc')).toEqual({
      ok: false,
      reason: 'cannot compare "abc" < 0.05',
    });
    expect(parseCondition('result > "a"').evaluate(3)).toEqual({
      ok: false,
      reason: 'cannot compare 3 > "a"',
    });
  });

  it('short-circuits && and ||', () => {
    expect(parseCondition('result == "x" || result < 1').evaluate('x')).toEqual({ ok: true, value: true });
    expect(parseCondition('result != "x" && result < 1').evaluate('x')).toEqual({ ok: true, value: false });
  });

  it('rejects malformed conditions with what was expected and where', () => {
    const cases: [string, string][] = [
      ['', 'condition ``: the condition is empty at position 1 (end of condition)'],
      [
        'result <',
        'condition `result <`: expected a number, a quoted string or result, found the end at position 9 (end of condition)',
      ],
      [
        'result < 0.05 &&',
        'condition `result < 0.05 &&`: expected a number, a quoted string or result, found the end at position 17 (end of condition)',
      ],
      ['result = 1', 'condition `result = 1`: unexpected "=" (use == to compare) at position 8'],
      [
        'result < 1 & result > 0',
        'condition `result < 1 & result > 0`: unexpected "&" (use && for "and") at position 12',
      ],
      [
        'result < 1 and result > 0',
        'condition `result < 1 and result > 0`: expected && or || or the end, found "and" at position 12',
      ],
      ['value < 1', 'condition `value < 1`: unknown name "value" (only result is defined) at position 1'],
      [
        'result',
        'condition `result`: expected a comparison (<, <=, >, >=, ==, !=), found the end at position 7 (end of condition)',
      ],
      [
        '(result < 1',
        'condition `(result < 1`: expected ")" or an operator, found the end at position 12 (end of condition)',
      ],
      ['result < 1)', 'condition `result < 1)`: expected && or || or the end, found ")" at position 11'],
      ['1 < 2', 'condition `1 < 2`: a comparison needs result on one side at position 1'],
      ['result == "ok', 'condition `result == "ok`: unterminated string (missing ") at position 11'],
      [
        'result < 5s',
        'condition `result < 5s`: "5" must be followed by a space or an operator at position 11',
      ],
      [
        '!(result < 1)',
        'condition `!(result < 1)`: unexpected "!" (negation is not supported; use != or the opposite comparison) at position 1',
      ],
      [
        'result < < 1',
        'condition `result < < 1`: expected a number, a quoted string or result, found "<" at position 10',
      ],
      ['result < -x', 'condition `result < -x`: expected a number after "-", found "x" at position 11'],
      ['result < 1; rm -rf /', 'condition `result < 1; rm -rf /`: unexpected ";" at position 11'],
    ];
    for (const [source, message] of cases) expect(parseError(source).message, source).toBe(message);
  });

  it('names the condition and carries the position for tools', () => {
    const err = parseError('result <', 'successCondition');
    expect(err.code).toBe('CONFIG_INVALID');
    expect(err.message).toMatch(/^successCondition `result <`: /);
    expect(err.details).toEqual({ condition: 'result <', position: 9 });
    expect(err.hint).toContain('result >= 0.95 && result <= 1');
  });
});
