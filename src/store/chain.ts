/**
 * The hash chain of the event log, shared by every store so that a log
 * written by one implementation verifies with any other.
 *
 * hash = sha256(prevHash + '\n' + canonicalJson({ seq, runId, stepId, type, at, data }))
 *
 * `stepId` is `null` when the event has none. The first event links to
 * {@link GENESIS_HASH}.
 */
import type { Plan } from '../model/plan.js';
import { changesOf } from '../model/run.js';
import { sha256Hex } from '../model/sha256.js';

/** The `prevHash` of the first event: 64 zeros. */
export const GENESIS_HASH = '0'.repeat(64);

/** Serialises without building sorted copies: this runs for every event of every run. */
function write(value: unknown): string | undefined {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  const json = (value as { toJSON?: () => unknown }).toJSON;
  if (typeof json === 'function') return write(json.call(value));
  if (Array.isArray(value)) {
    // As JSON.stringify: members with no JSON form become null.
    return `[${value.map((item) => write(item) ?? 'null').join(',')}]`;
  }
  const record = value as Record<string, unknown>;
  let out = '';
  for (const key of Object.keys(record).sort()) {
    const member = write(record[key]);
    if (member === undefined) continue;
    out += `${out === '' ? '' : ','}${JSON.stringify(key)}:${member}`;
  }
  return `{${out}}`;
}

/**
 * JSON with object keys sorted (UTF-16 order) at every level, no whitespace.
 * `toJSON` is honoured and `undefined` members are dropped, as by JSON.stringify.
 */
export function canonicalJson(value: unknown): string {
  const text = write(value);
  if (text === undefined) throw new TypeError('value has no JSON form');
  return text;
}

/** sha256 (hex) of a stored plan's JSON text; `run.created` events carry it. */
export function planDigest(planJson: string): string {
  return sha256Hex(planJson);
}

/**
 * A run's stored plan (JSON text) and, where the store keeps them apart from it, the versions
 * its row records (RunSummary's `changes` and `unchanged`, JSON text); null when the row is gone.
 */
export interface StoredPlan {
  plan: string;
  versions?: { changes: string; unchanged: string } | null;
}

/**
 * Checks every stored plan against the digest its `run.created` event
 * carries: a plan edited after the fact is reported like an edited event.
 * The versions a run's row records are checked against its verified plan:
 * `history` shows them and rollback chooses its release by them.
 */
export function verifyPlans(
  created: Iterable<{ seq: number; runId: number; dataJson: string }>,
  storedOf: (runId: number) => StoredPlan | undefined,
): { seq: number; reason: string } | undefined {
  for (const event of created) {
    const expected = (JSON.parse(event.dataJson) as { planDigest?: string }).planDigest;
    const stored = storedOf(event.runId);
    if (stored === undefined)
      return { seq: event.seq, reason: `the plan of run ${event.runId} is missing (deleted)` };
    if (planDigest(stored.plan) !== expected) {
      return {
        seq: event.seq,
        reason: `the plan of run ${event.runId} does not match its digest (plan modified)`,
      };
    }
    if (stored.versions === null)
      return { seq: event.seq, reason: `the row of run ${event.runId} is missing (deleted)` };
    if (stored.versions !== undefined && !recordsItsPlan(stored.plan, stored.versions)) {
      return {
        seq: event.seq,
        reason: `the versions recorded for run ${event.runId} do not match its plan (run modified)`,
      };
    }
  }
  return undefined;
}

/** False also when a column is not JSON at all: that too is a modified row. */
function recordsItsPlan(planJson: string, versions: { changes: string; unchanged: string }): boolean {
  try {
    const plan = JSON.parse(planJson) as Partial<Plan>;
    const changes = plan.services === undefined ? [] : changesOf(plan as Plan);
    return (
      canonicalJson(JSON.parse(versions.changes)) === canonicalJson(changes) &&
      canonicalJson(JSON.parse(versions.unchanged)) === canonicalJson(plan.unchanged ?? [])
    );
  } catch {
    return false;
  }
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
  return sha256Hex(`${prevHash}\n${body}`);
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
    const fields = {
      seq: row.seq,
      runId: row.runId,
      stepId: row.stepId,
      type: row.type,
      at: row.at,
      dataJson: row.dataJson,
    };
    // Stores keep the canonical text, so it is hashed as stored; only a mismatch pays for parsing
    // and re-serialising (data rewritten in another key order is the same data).
    let matches = eventHash(row.prevHash, fields) === row.hash;
    if (!matches) {
      try {
        fields.dataJson = canonicalJson(JSON.parse(row.dataJson));
      } catch {
        return { events, problem: { seq: row.seq, reason: 'data is not valid JSON (event modified)' } };
      }
      matches = eventHash(row.prevHash, fields) === row.hash;
    }
    if (!matches) {
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
