import { describe, expect, it } from 'vitest';
import { canonicalJson, eventHash, GENESIS_HASH, planDigest, verifyPlans, verifyRows } from './chain.js';

describe('canonicalJson', () => {
  it('sorts keys at every level and keeps arrays in order', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: null } })).toBe(
      '{"a":{"c":null,"d":[3,{"y":2,"z":1}]},"b":1}',
    );
  });

  it('honours toJSON, drops undefined members and keeps a __proto__ key as data', () => {
    const value = JSON.parse('{"__proto__":{"x":1},"a":2}');
    expect(canonicalJson({ ...{ when: { toJSON: () => 'now' } }, gone: undefined })).toBe('{"when":"now"}');
    expect(canonicalJson(value)).toBe('{"__proto__":{"x":1},"a":2}');
  });
});

describe('eventHash', () => {
  it('hashes the canonical event object it assembles by hand', async () => {
    const { createHash } = await import('node:crypto');
    const data = { z: 1, a: 'x' };
    const event = { seq: 7, runId: 3, stepId: 'a/b/c', type: 'step.started', at: 42, data };
    const expected = createHash('sha256')
      .update(`${GENESIS_HASH}\n${canonicalJson(event)}`)
      .digest('hex');
    expect(eventHash(GENESIS_HASH, { ...event, dataJson: canonicalJson(data) })).toBe(expected);
    const noStep = { ...event, stepId: null };
    expect(eventHash('ab', { ...noStep, dataJson: canonicalJson(data) })).toBe(
      createHash('sha256')
        .update(`ab\n${canonicalJson(noStep)}`)
        .digest('hex'),
    );
  });
});

describe('verifyRows', () => {
  function chain(n: number) {
    const rows = [];
    let prev = GENESIS_HASH;
    for (let seq = 1; seq <= n; seq++) {
      const fields = { seq, runId: 1, stepId: null, type: 'run.state', at: seq, dataJson: `{"n":${seq}}` };
      const hash = eventHash(prev, fields);
      rows.push({ ...fields, prevHash: prev, hash });
      prev = hash;
    }
    return rows;
  }

  it('accepts stored JSON in any key order', () => {
    const rows = chain(2).map((r) => ({ ...r, dataJson: r.dataJson.replace(':', ' : ') }));
    expect(verifyRows(rows, 2)).toEqual({ events: 2 });
  });

  it('finds a re-chained event whose own hash is consistent', () => {
    const rows = chain(3);
    const second = rows[1] as (typeof rows)[number];
    second.prevHash = 'f'.repeat(64);
    second.hash = eventHash(second.prevHash, second);
    expect(verifyRows(rows, 3).problem).toEqual({ seq: 2, reason: expect.stringMatching(/prev_hash/) });
  });

  it('finds data that is not JSON', () => {
    const rows = chain(1).map((r) => ({ ...r, dataJson: '{' }));
    expect(verifyRows(rows, 1).problem).toEqual({ seq: 1, reason: expect.stringMatching(/not valid JSON/) });
  });
});

describe('verifyPlans', () => {
  const plan = JSON.stringify({
    services: [{ name: 'web', from: null, to: 'v3', targets: [] }],
    unchanged: [{ service: 'db', version: '1.0.0' }],
  });
  const created = [{ seq: 7, runId: 2, dataJson: JSON.stringify({ planDigest: planDigest(plan) }) }];
  const check = (changes: string, unchanged = '[{"version":"1.0.0","service":"db"}]') =>
    verifyPlans(created, () => ({ plan, versions: { changes, unchanged } }));

  it('accepts recorded versions equal to the plan in any key order (as SQL writes them)', () => {
    expect(check('[{"to":"v3","service":"web","from":null}]')).toBeUndefined();
  });

  it('reports recorded versions that differ from the plan', () => {
    expect(check('[{"service":"web","from":"v2","to":"v3"}]')).toEqual({
      seq: 7,
      reason: 'the versions recorded for run 2 do not match its plan (run modified)',
    });
    expect(check('[{"service":"web","from":null,"to":"v3"}]', '[]')).toMatchObject({ seq: 7 });
    expect(check('not json')).toMatchObject({ seq: 7, reason: expect.stringMatching(/do not match/) });
  });

  it('reports a run whose row is gone', () => {
    expect(verifyPlans(created, () => ({ plan, versions: null }))).toEqual({
      seq: 7,
      reason: 'the row of run 2 is missing (deleted)',
    });
  });
});
