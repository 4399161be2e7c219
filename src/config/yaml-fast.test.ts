/**
 * The fast path must read exactly what the yaml library reads, or decline: every document here
 * is given to both, and whenever the fast path answers, the library must accept the document
 * and give the same data. Hand-picked cases first, then thousands of generated ones.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { NOT_FAST, parseFast } from './yaml-fast.js';

function library(text: string): { ok: boolean; data: unknown } {
  const doc = parseDocument(text, { prettyErrors: false, merge: true, uniqueKeys: true });
  if (doc.errors.length > 0) return { ok: false, data: undefined };
  return { ok: true, data: doc.toJS() };
}

/** Fails unless the fast path declines, or agrees with the library. Returns whether it answered. */
function agrees(text: string): boolean {
  const fast = parseFast(text);
  if (fast === NOT_FAST) return false;
  const lib = library(text);
  expect({ text, ok: lib.ok }).toEqual({ text, ok: true });
  expect({ text, data: fast }).toEqual({ text, data: lib.data });
  return true;
}

const READ: string[] = [
  'a: 1\nb: two\nc:\n',
  'project: shop\nservices:\n  api:\n    group: app\n    needs: [db, cache]\n    steps: [{ run: "deploy" }]\n',
  'n: [1, -2, +3, 0o17, 0x1F, 1.5, 1., .5, 1e3, -1.5E-3, .inf, -.Inf, .NaN, 0777, 1_000]\n',
  'b: [true, True, TRUE, false, yes, no, on, off, ~, null, Null, NULL, nul]\n',
  "q: ['it''s', \"say #hi\", 'a: b', \"\", '']\n",
  'url: http://127.0.0.1:8080/health?x=1#frag\nrun: echo {a,b} [x] a#b\n',
  'v: "1.10"\nw: 1.10\nx: v1.10\n',
  'a:\n- x\n- y\nb:\n  - z\n',
  'steps:\n  - name: migrate\n    run: node migrate.mjs\n  - run: "true"\n    timeout: 5s\n',
  '-   a: 1\n    b: 2\n-\n- [c]\n- {d: e}\n',
  'hosts: [{ name: h1, vars: { port: 7101 } }, h2]\n',
  'e: {}\nf: []\ng: { }\nh: [ ]\n',
  'key: value   # a comment\nother: "x" # another\n',
  'deep:\n  a:\n    b:\n      c:\n        d: [1, [2, [3, {e: f}]]]\n',
  '  indented: root\n  second: 2\n',
  '[a, b]\n',
  'a b c: spaced key\nkey.with.dots: 1\n',
  'unicode: héllo wörld ✓\n',
  // What a hand-written subset would decline, any YAML 1.2 parser reads:
  'a: [b: c]\n',
  'a: [b,]\n',
  'a: !!str 1\n',
  'run: |\n  echo hi\n',
  'run: >\n  folded\n',
  'a: multi\n  line\n',
  'a: [1,\n  2]\n',
  '"quoted": key\n',
  'a: "esc\\n"\n',
  '---\na: 1\n',
  '%YAML 1.2\n---\na: 1\n',
  '1: number key\n',
  'a:\tb\n',
  'a: 1\r\nb: 2\r\n',
  'a: no-break space\u00a0\n',
  '- - nested\n',
  '__proto__: x\n',
  'just a scalar\n',
];

/** Left to the library: anchors and aliases, and whatever js-yaml rejects (errors the library places). */
const DECLINED: string[] = [
  '',
  '# only a comment\n',
  '~: null key\n',
  'a: {null: 1}\n',
  '? complex\n: key\n',
  'a: &x 1\nb: *x\n',
  'base: &b { a: 1 }\nc:\n  <<: *b\n',
  'a: 1\n---\nb: 2\n',
  'a: 1\na: 2\n',
  'a: {x: 1, x: 2}\n',
  'a: 1\n b: 2\n',
  'a:\n  b: 1\n c: 2\n',
  'a: b: c\n',
  'a: "x"y\n',
  'a: @x\n',
];

describe('the js-yaml fast path', () => {
  it('reads common config shapes exactly as the library does', () => {
    for (const text of READ) expect(agrees(text), text).toBe(true);
  });

  it('leaves anchors, aliases and whatever it rejects to the library', () => {
    for (const text of DECLINED) expect(parseFast(text), text).toBe(NOT_FAST);
  });

  it('agrees with the library on the example project', () => {
    const dir = new URL('../../examples/shop/', import.meta.url).pathname;
    const files = ['marshal.yaml', ...readdirSync(join(dir, 'environments')).map((f) => `environments/${f}`)];
    for (const file of files) expect(agrees(readFileSync(join(dir, file), 'utf8')), file).toBe(true);
  });

  it('agrees with the library on 5,000 generated documents', () => {
    // A fixed seed: the same documents every run.
    let seed = 42;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)] as T;
    // biome-ignore format: a table of cases reads best packed
    const scalars = [
      'a', 'api', 'x y', '1', '-1', '0o7', '0x1f', '1.5', '1e3', '.inf', '.nan', 'true', 'no', '~',
      'null', '"q"', "'s'", "'it''s'", '""', 'a#b', 'a #b', 'a: b', 'a:b', 'http://x:1/y', '-', '-x',
      '?x', ':x', '[a, b]', '[]', '{a: 1}', '{}', '{a: [1, {b: c}]}', '[a, [b]]', '&a x', '*a', '!t x',
      '|', '@x', '%x', '`x`', 'a,b', '[a,]', '{a:1}', 'x ', '# c', '{ a: 1 }', '[ a , b ]', "'a' # c",
      '"a"b', '["a, b", \'c]\']', '[a b, c]', '-.5', '-.inf', '+1', '0o', '1e', '.5.', '{"a": 1}',
      "{'a': b}", '[-1, -x]', 'a:', 'a :b', '[a :b]', 'x  y', '\u00e9', '["a":1]', '[a#b, c #d]',
      '[~, null, ""]', '{a: }', '{ a: b, }', '[[]]', "'#'", '[a, "b #c"]', '-0', '00', '0o08', 'tRUE',
      '~~',
    ];
    const keys = [
      'a',
      'b',
      'api',
      'x y',
      '1',
      'true',
      'a.b',
      'a:b',
      '"k"',
      '-k',
      'k ',
      '<<',
      'a#b',
      '\u00e9',
      'a-b',
      'null',
      '~',
      '0x1',
      'on',
      "it's",
      'a"b',
    ];
    const block = (depth: number, indent: number): string[] => {
      const pad = ' '.repeat(indent);
      const lines: string[] = [];
      const asList = random() < 0.3;
      const count = 1 + Math.floor(random() * 3);
      for (let i = 0; i < count; i++) {
        const head = asList ? `${pad}-` : `${pad}${pick(keys)}:`;
        if (depth > 0 && random() < 0.4) {
          lines.push(head);
          const inner = indent + pick([1, 2, 2, 4]) - (asList ? 0 : pick([0, 0, 0, 1, 2]));
          lines.push(...block(depth - 1, Math.max(0, inner)));
        } else if (asList && depth > 0 && random() < 0.2) {
          const [first, ...rest] = block(depth - 1, indent + 2);
          lines.push(`${pad}- ${(first ?? '').trimStart()}`, ...rest);
        } else {
          lines.push(`${head} ${pick(scalars)}`);
        }
        if (random() < 0.1) lines.push(`${' '.repeat(Math.floor(random() * 4))}# note`);
        if (random() < 0.05) lines.push(`${pad}  continued`);
      }
      return lines;
    };
    let answered = 0;
    for (let n = 0; n < 5_000; n++) {
      if (agrees(`${block(3, 0).join('\n')}\n`)) answered++;
    }
    // The fast path must answer a good share, or this test compares nothing.
    expect(answered).toBeGreaterThan(500);
  });
});
