/**
 * The hash chain of the event log, shared by every store so that a log
 * written by one implementation verifies with any other.
 *
 * hash = sha256(prevHash + '\n' + canonicalJson({ seq, runId, stepId, type, at, data }))
 *
 * `stepId` is `null` when the event has none. The first event links to
 * {@link GENESIS_HASH}.
 */
import { createHash } from 'node:crypto';

/** The `prevHash` of the first event: 64 zeros. */
export const GENESIS_HASH = '0'.repeat(64);

function sortKeys(_key: string, value: unknown): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  // Object.fromEntries defines own properties, so a `__proto__` key stays data.
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((k) => [k, (value as Record<string, unknown>)[k]]),
  );
}

/**
 * JSON with object keys sorted (UTF-16 order) at every level, no whitespace.
 * `toJSON` is honoured and `undefined` members are dropped, as by JSON.stringify.
 */
export function canonicalJson(value: unknown): string {
  const text = JSON.stringify(value, sortKeys);
  if (text === undefined) throw new TypeError('value has no JSON form');
  return text;
}

/** The hashed fields of one event; `dataJson` is `canonicalJson(data)`. */
export interface ChainFields {
  seq: number;
  runId: number;
  stepId: string | null;
  type: string;
  at: number;
  dataJson: string;
}

/**
 * The hash of an event. The canonical object is assembled by hand (keys in
 * sorted order: at, data, runId, seq, stepId, type) so the data, usually the
 * only large part, is serialised once per event and reused for storage.
 */
export function eventHash(prevHash: string, f: ChainFields): string {
  const body =
    `{"at":${JSON.stringify(f.at)},"data":${f.dataJson},"runId":${JSON.stringify(f.runId)},` +
    `"seq":${JSON.stringify(f.seq)},"stepId":${JSON.stringify(f.stepId)},"type":${JSON.stringify(f.type)}}`;
  return createHash('sha256').update(`${prevHash}\n${body}`).digest('hex');
}

/** A stored event as `verifyChain` sees it; `dataJson` as stored (any key order). */
export interface ChainRow {
  seq: number;
  runId: number;
  stepId: string | null;
  type: string;
  at: number;
  dataJson: string;
  prevHash: string;
  hash: string;
}

/**
 * Walks events in seq order and returns the first problem: a gap in seq (an
 * event deleted), a hash that does not match the content (an event changed),
 * or a prevHash that is not the previous event's hash (deleted, reordered or
 * re-chained). `head` is the highest seq the store ever assigned, so a
 * deleted tail is found too.
 */
export function verifyRows(
  rows: Iterable<ChainRow>,
  head: number,
): {
  events: number;
  problem?: { seq: number; reason: string };
} {
  let prev = GENESIS_HASH;
  let expected = 1;
  let events = 0;
  for (const row of rows) {
    events++;
    if (row.seq !== expected) {
      const reason =
        row.seq > expected
          ? `seq ${expected}${row.seq - 1 > expected ? `..${row.seq - 1}` : ''} missing (event deleted)`
          : `seq ${row.seq} out of order (expected ${expected})`;
      return { events, problem: { seq: row.seq, reason } };
    }
    let dataJson: string;
    try {
      dataJson = canonicalJson(JSON.parse(row.dataJson));
    } catch {
      return { events, problem: { seq: row.seq, reason: 'data is not valid JSON (event modified)' } };
    }
    const fields = {
      seq: row.seq,
      runId: row.runId,
      stepId: row.stepId,
      type: row.type,
      at: row.at,
      dataJson,
    };
    if (eventHash(row.prevHash, fields) !== row.hash) {
      return {
        events,
        problem: { seq: row.seq, reason: 'hash does not match the content (event modified)' },
      };
    }
    if (row.prevHash !== prev) {
      return {
        events,
        problem: {
          seq: row.seq,
          reason: "prev_hash is not the previous event's hash (event deleted or reordered)",
        },
      };
    }
    prev = row.hash;
    expected++;
  }
  if (head >= expected) {
    const reason = `seq ${expected}${head > expected ? `..${head}` : ''} missing at the end (event deleted)`;
    return { events, problem: { seq: expected, reason } };
  }
  return { events };
}
