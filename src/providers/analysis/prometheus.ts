/**
 * Measuring with a Prometheus instant query (`GET /api/v1/query`). The first
 * sample of the answer is `result`; no sample (or NaN, which is what a ratio of
 * two idle rates gives) is "no data", never zero.
 */
import { getJson, type Reader, type Reading } from './reading.js';

/** The URL of an instant query; `address` may carry a path prefix (`http://host/prometheus`). */
export function prometheusQueryUrl(address: string, query: string): string {
  return `${address.replace(/\/+$/, '')}/api/v1/query?query=${encodeURIComponent(query)}`;
}

/** A {@link Reader} for `query` on the Prometheus at `address`. */
export function prometheusReader(address: string, query: string, timeoutMs: number): Reader {
  const url = prometheusQueryUrl(address, query);
  return async (signal) => {
    const answer = await getJson(url, timeoutMs, signal);
    if (!answer.ok) return { kind: 'error', message: answer.reason };
    return readQueryAnswer(answer.status, answer.body);
  };
}

/** A sample value as Prometheus writes it: a decimal, `NaN`, `+Inf` or `-Inf`. */
export function parseSampleValue(text: unknown): number {
  if (typeof text === 'number') return text;
  if (typeof text !== 'string') return Number.NaN;
  if (text === '+Inf' || text === 'Inf') return Number.POSITIVE_INFINITY;
  if (text === '-Inf') return Number.NEGATIVE_INFINITY;
  return text.trim() === '' ? Number.NaN : Number(text);
}

interface QueryAnswer {
  status?: unknown;
  errorType?: unknown;
  error?: unknown;
  data?: { resultType?: unknown; result?: unknown };
}

/** Turns the JSON of `/api/v1/query` (HTTP status `status`) into a reading. */
export function readQueryAnswer(status: number, body: unknown): Reading {
  const answer = (typeof body === 'object' && body !== null ? body : {}) as QueryAnswer;
  if (answer.status === 'error') {
    const type = typeof answer.errorType === 'string' ? `${answer.errorType}: ` : '';
    return { kind: 'error', message: `query failed (HTTP ${status}): ${type}${String(answer.error ?? '')}` };
  }
  if (answer.status !== 'success' || answer.data === undefined) {
    return { kind: 'error', message: `answered ${status} without a query result` };
  }
  const { resultType, result } = answer.data;
  let sample: unknown;
  let series = 1;
  if (resultType === 'scalar' || resultType === 'string') {
    sample = Array.isArray(result) ? result[1] : undefined;
  } else if (resultType === 'vector' || resultType === 'matrix') {
    if (!Array.isArray(result)) return { kind: 'error', message: `answered a ${resultType} without samples` };
    if (result.length === 0) return { kind: 'no-data', value: null, message: 'no data' };
    series = result.length;
    const first = result[0] as { value?: unknown[]; values?: unknown[][] };
    // A range selector (`x[5m]`) answers a matrix: its most recent sample is the measurement.
    sample = resultType === 'vector' ? first.value?.[1] : first.values?.at(-1)?.[1];
  } else {
    return { kind: 'error', message: `answered an unknown result type ${JSON.stringify(resultType)}` };
  }
  const value = parseSampleValue(sample);
  if (Number.isNaN(value)) return { kind: 'no-data', value: null, message: 'no data (NaN)' };
  // The query should name one series; when it gives several, say which one was judged.
  return series > 1
    ? { kind: 'value', value, message: `first of ${series} series` }
    : { kind: 'value', value };
}
