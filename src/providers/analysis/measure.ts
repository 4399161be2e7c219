/**
 * From an analysis config to one "take a measurement" function: pick the
 * source (Prometheus, HTTP or command), parse the conditions once, and judge
 * each reading with them.
 */

import { type Condition, parseCondition } from '../../model/condition.js';
import { MarshalError } from '../../model/errors.js';
import type { AnalysisConfig } from '../../model/schema-delivery.js';
import type { Measurement } from '../../model/traffic.js';
import { type AnalysisCommandRunner, commandReader, commandTimeout, runLocalCommand } from './command.js';
import { httpReader } from './http.js';
import { prometheusReader } from './prometheus.js';
import { isHttpUrl, type Reader, type Reading, readTimeout } from './reading.js';

/** A measurement without its time: what one reading judged by the conditions gave. */
export type Judged = Omit<Measurement, 'at'>;

/** Takes one measurement. Throws only the abort reason of `signal`. */
export type Measure = (signal: AbortSignal) => Promise<Judged>;

/**
 * Judges a reading as Argo Rollouts does (utils/evaluate): the failure
 * condition — or, without one, "the success condition does not hold" — makes
 * a failure; else the success condition makes a success; else inconclusive.
 * Failure wins when both hold, so overlapping conditions err on the safe side.
 * A value the conditions cannot compare (`"abc" < 0.05`) is an error.
 */
export function judge(reading: Reading, success: Condition, failure: Condition | null): Judged {
  if (reading.kind === 'error') return { value: null, outcome: 'error', message: reading.message };
  if (reading.kind === 'no-data')
    return { value: reading.value, outcome: 'inconclusive', message: reading.message };
  const { value } = reading;
  const note = reading.message === undefined ? '' : ` (${reading.message})`;
  const succeeded = success.evaluate(value);
  if (!succeeded.ok) return { value, outcome: 'error', message: `${succeeded.reason}${note}` };
  const failed = failure === null ? { ok: true as const, value: !succeeded.value } : failure.evaluate(value);
  if (!failed.ok) return { value, outcome: 'error', message: `${failed.reason}${note}` };
  if (failed.value) {
    const why = failure === null ? `${success.source} is false` : `${failure.source} is true`;
    return { value, outcome: 'failure', message: `${why}${note}` };
  }
  if (succeeded.value) return { value, outcome: 'success', message: `${success.source} is true${note}` };
  return {
    value,
    outcome: 'inconclusive',
    message: `neither ${success.source} nor ${failure?.source ?? ''} holds${note}`,
  };
}

/**
 * Builds the {@link Measure} for `spec`. Throws CONFIG_INVALID for an analysis
 * that can never measure as written (a malformed condition, a bad URL, no or
 * several sources) — a config problem, not a measurement.
 */
export function prepareMeasure(
  spec: AnalysisConfig,
  runCommand: AnalysisCommandRunner = runLocalCommand,
): Measure {
  const success = parseCondition(spec.successCondition, 'successCondition');
  const failure =
    spec.failureCondition === undefined ? null : parseCondition(spec.failureCondition, 'failureCondition');
  const reader = prepareReader(spec, runCommand);
  return async (signal) => judge(await reader(signal), success, failure);
}

function prepareReader(spec: AnalysisConfig, runCommand: AnalysisCommandRunner): Reader {
  const invalid = (why: string) => new MarshalError('CONFIG_INVALID', why);
  const sources = [spec.prometheus, spec.http, spec.command].filter((s) => s !== undefined);
  if (sources.length !== 1) throw invalid('an analysis needs exactly one of prometheus, http or command');
  if (spec.prometheus !== undefined) {
    const { address, query } = spec.prometheus;
    if (!isHttpUrl(address)) throw invalid(`prometheus.address "${address}" is not an http(s) URL`);
    if (query.trim() === '') throw invalid('prometheus.query is empty');
    return prometheusReader(address, query, readTimeout(spec.interval));
  }
  if (spec.http !== undefined) {
    const { url, jsonPath } = spec.http;
    if (!isHttpUrl(url)) throw invalid(`http.url "${url}" is not an http(s) URL`);
    return httpReader(url, jsonPath, readTimeout(spec.interval));
  }
  const command = spec.command ?? '';
  if (command.trim() === '') throw invalid('command is empty');
  return commandReader(command, runCommand, commandTimeout(spec.interval));
}
