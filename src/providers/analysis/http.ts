/**
 * Measuring with a field of an HTTP JSON answer, e.g. `stats.errorRate` of
 * `GET /stats`. A number or a string is `result`; a missing or null field is
 * "no data" (inconclusive); an unreachable server or a non-2xx answer is an error.
 */
import { getJson, type Reader, type Reading } from './reading.js';

/**
 * Splits a dotted path into keys: `stats.errorRate`, `items.0.value` and
 * `items[0].value` all work; a leading `$.` (JSONPath habit) is ignored.
 */
export function splitJsonPath(path: string): string[] {
  const trimmed = path.trim().replace(/^\$\.?/, '');
  if (trimmed === '') return [];
  return trimmed
    .replace(/\[(\d+)\]/g, '.$1')
    .split('.')
    .filter((key) => key !== '');
}

/** The field at `path` of `body`: `{ found: false }` when some key along the way is missing. */
export function lookupJsonPath(
  body: unknown,
  path: string,
): { found: true; value: unknown } | { found: false } {
  let current: unknown = body;
  for (const key of splitJsonPath(path)) {
    if (typeof current !== 'object' || current === null || !Object.hasOwn(current, key))
      return { found: false };
    current = (current as Record<string, unknown>)[key];
  }
  return { found: true, value: current };
}

/** Turns the field at `path` of a JSON answer into a reading. */
export function readJsonField(body: unknown, path: string): Reading {
  const field = lookupJsonPath(body, path);
  if (!field.found) return { kind: 'no-data', value: null, message: `no field ${path} in the answer` };
  const { value } = field;
  if (typeof value === 'number' || typeof value === 'string') return { kind: 'value', value };
  if (value === null) return { kind: 'no-data', value: null, message: `${path} is null` };
  const what = Array.isArray(value)
    ? 'an array'
    : typeof value === 'object'
      ? 'an object'
      : `a ${typeof value}`;
  return { kind: 'no-data', value: null, message: `${path} is ${what}, not a number or a string` };
}

/** A {@link Reader} for the field `jsonPath` of `GET url`. */
export function httpReader(url: string, jsonPath: string, timeoutMs: number): Reader {
  return async (signal) => {
    const answer = await getJson(url, timeoutMs, signal);
    if (!answer.ok) return { kind: 'error', message: answer.reason };
    if (answer.status < 200 || answer.status > 299)
      return { kind: 'error', message: `answered ${answer.status}` };
    return readJsonField(answer.body, jsonPath);
  };
}
