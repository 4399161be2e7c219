/**
 * What a metric source gives before any condition judges it, and the small
 * helpers the sources share (fetching JSON with a timeout, short reasons).
 */
import { formatDuration } from '../../model/duration.js';
import { abortError, timedSignal } from '../abort.js';
import { networkReason } from '../net-reason.js';

/**
 * One reading of a metric:
 * - `value`: something to judge with the conditions;
 * - `no-data`: nothing to judge (an empty query result, NaN, a missing field) → inconclusive;
 * - `error`: the source could not be read (connection refused, bad query, timeout) → error.
 */
export type Reading =
  | { kind: 'value'; value: number | string; message?: string }
  | { kind: 'no-data'; value: number | string | null; message: string }
  | { kind: 'error'; message: string };

/** Reads a metric once. Throws only the abort reason when `signal` (the step's) aborts. */
export type Reader = (signal: AbortSignal) => Promise<Reading>;

/**
 * How long one reading may take: the interval, but never more than 10 s (a
 * stuck server must not stall the step); 10 s when measurements run back to back (interval 0).
 */
export function readTimeout(intervalMs: number): number {
  return intervalMs > 0 ? Math.min(intervalMs, 10_000) : 10_000;
}

/** A value for a log line: numbers with at most 6 significant digits, strings quoted. */
export function formatValue(value: number | string | null): string {
  if (value === null) return 'no value';
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value);
  if (!Number.isFinite(value) || Number.isInteger(value)) return String(value);
  return String(Number(value.toPrecision(6)));
}

/** A JSON answer, or why there is none. */
export type JsonAnswer =
  | { ok: true; status: number; body: unknown }
  | { ok: false; status: number | null; reason: string };

/**
 * GETs `url` and parses its body as JSON, within `timeoutMs`. Non-2xx answers
 * are returned with their (parsed, when possible) body so callers can report
 * the server's own error. Throws only the abort reason of `signal`.
 */
export async function getJson(url: string, timeoutMs: number, signal: AbortSignal): Promise<JsonAnswer> {
  const limit = timedSignal(signal, timeoutMs);
  try {
    const response = await fetch(url, {
      signal: limit.signal,
      headers: { accept: 'application/json', 'user-agent': 'marshal-analysis' },
    });
    const text = await response.text();
    try {
      return { ok: true, status: response.status, body: JSON.parse(text) as unknown };
    } catch {
      const got = text.replace(/\s+/g, ' ').trim().slice(0, 80);
      return {
        ok: false,
        status: response.status,
        reason: `answered ${response.status} with a body that is not JSON: ${JSON.stringify(got)}`,
      };
    }
  } catch (err) {
    if (signal.aborted) throw abortError(signal);
    if (limit.timedOut())
      return { ok: false, status: null, reason: `timed out after ${formatDuration(timeoutMs)}` };
    return { ok: false, status: null, reason: networkReason(err) };
  } finally {
    limit.clear();
  }
}

/** True for an absolute http(s) URL. */
export function isHttpUrl(url: string): boolean {
  return URL.canParse(url) && /^https?:$/.test(new URL(url).protocol);
}
