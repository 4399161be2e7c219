/**
 * Duplicate keys are found in one pass. The yaml library's own check compares every key with
 * each earlier key of its map (a file of 60,000 services took 31 s to validate); the guard
 * here is a count, not a time: how often key values are read while a 20,000-key map is parsed.
 */

import { describe, expect, it } from 'vitest';
import { Scalar } from 'yaml';
import { parseSource } from './yaml-source.js';

const KEYS = 20_000;

/** A map of `count` services, one line each, with `repeats` (0-based line indexes) written twice. */
function bigMap(count: number, repeats: number[]): string {
  const lines = ['services:'];
  for (let i = 0; i < count; i++) lines.push(`  s${i}: { group: fleet }`);
  for (const i of repeats) lines.push(`  s${i}: { group: again }`);
  return `${lines.join('\n')}\n`;
}

/** Runs `work` while counting every read of a YAML scalar's value (keys are scalars). */
function countingValueReads(work: () => void): number {
  let reads = 0;
  const store = new WeakMap<object, unknown>();
  Object.defineProperty(Scalar.prototype, 'value', {
    configurable: true,
    get(this: object) {
      reads++;
      return store.get(this);
    },
    set(this: object, v: unknown) {
      store.set(this, v);
    },
  });
  try {
    work();
  } finally {
    delete (Scalar.prototype as { value?: unknown }).value;
  }
  return reads;
}

describe('duplicate keys in a large map', () => {
  it(`finds every repeated key among ${KEYS} keys, where it is written`, () => {
    const source = parseSource('/project/marshal.yaml', bigMap(KEYS, [7, 19_999]));
    expect(source.data).toBeUndefined();
    expect(source.syntaxProblems).toEqual([
      {
        file: '/project/marshal.yaml',
        line: KEYS + 2,
        column: 3,
        path: 'services.s7',
        message: 'duplicate key "s7": a key may appear only once in a map',
      },
      {
        file: '/project/marshal.yaml',
        line: KEYS + 3,
        column: 3,
        path: 'services.s19999',
        message: 'duplicate key "s19999": a key may appear only once in a map',
      },
    ]);
  });

  it('reads each key a bounded number of times, not once per earlier key', () => {
    let found = 0;
    const reads = countingValueReads(() => {
      found = parseSource('/project/marshal.yaml', bigMap(KEYS, [123])).syntaxProblems.length;
    });
    // Comparing each key with the ones before it reads ~KEYS²/2 = 200,000,000 values.
    expect(reads).toBeLessThan(10 * KEYS);
    expect(found).toBe(1);
  });

  it('keeps the data of a map without repeats', () => {
    const source = parseSource('/project/marshal.yaml', bigMap(KEYS, []));
    expect(source.syntaxProblems).toEqual([]);
    expect(Object.keys((source.data as { services: object }).services)).toHaveLength(KEYS);
  });
});
