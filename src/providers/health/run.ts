/**
 * Health checks: every check probes on its own schedule until it reaches its
 * success threshold (healthy) or its failure threshold (the step fails). All
 * checks run at once and all must pass; the first failure stops the others.
 */
import { formatDuration } from '../../model/duration.js';
import { MarshalError } from '../../model/errors.js';
import type { StepIO } from '../../model/provider.js';
import type { HealthCheckConfig } from '../../model/schema.js';
import { abortError, sleep as realSleep, type Sleep, throwIfAborted } from '../abort.js';
import { shortCommand } from '../shell.js';
import {
  bodyMatcher,
  type ProbeOutcome,
  probeCommand,
  probeHttp,
  probeTcp,
  type RunCommand,
} from './probes.js';

interface PreparedCheck {
  label: string;
  config: HealthCheckConfig;
  probe(signal: AbortSignal): Promise<ProbeOutcome>;
}

/**
 * Runs `checks` (already rendered: no templates) until all are healthy.
 * Throws HEALTH_CHECK_FAILED for the first check to reach its failure
 * threshold, the abort reason when `io.signal` aborts, and CONFIG_INVALID for
 * a check that can never pass as written (bad URL, port or body regex).
 */
export async function runHealthChecks(
  checks: readonly HealthCheckConfig[],
  io: StepIO,
  runCommand: RunCommand,
  sleep: Sleep = realSleep,
): Promise<void> {
  throwIfAborted(io.signal);
  const prepared = checks.map((check) => prepare(check, runCommand));
  // Aborts with the step, or when one check has failed (the others stop probing).
  const stop = new AbortController();
  const onStep = () => stop.abort(io.signal.reason);
  io.signal.addEventListener('abort', onStep, { once: true });
  const signal = stop.signal;
  let firstFailure: unknown;
  try {
    await Promise.allSettled(
      prepared.map((check) =>
        watch(check, signal, io, sleep).catch((err: unknown) => {
          if (firstFailure === undefined && !io.signal.aborted) {
            firstFailure = err;
            stop.abort(err);
          }
        }),
      ),
    );
  } finally {
    io.signal.removeEventListener('abort', onStep);
  }
  if (io.signal.aborted) throw abortError(io.signal);
  if (firstFailure !== undefined) throw firstFailure;
}

/** A label for logs and messages: the check's name, else what it probes. */
export function checkLabel(check: HealthCheckConfig): string {
  if (check.name !== undefined) return check.name;
  if (check.http !== undefined) return check.http.url;
  if (check.tcp !== undefined) return `tcp ${check.tcp.host}:${check.tcp.port}`;
  return `command \`${shortCommand(check.command ?? '', 60)}\``;
}

function prepare(check: HealthCheckConfig, runCommand: RunCommand): PreparedCheck {
  const label = checkLabel(check);
  const invalid = (why: string) => new MarshalError('CONFIG_INVALID', `health check ${label}: ${why}`);
  const timeout = check.timeout;
  if (check.http !== undefined) {
    const { url, status } = check.http;
    if (!URL.canParse(url) || !/^https?:$/.test(new URL(url).protocol))
      throw invalid(`"${url}" is not an http(s) URL`);
    let body: ReturnType<typeof bodyMatcher> | null = null;
    try {
      body = check.http.body === undefined ? null : bodyMatcher(check.http.body);
    } catch (err) {
      throw invalid(`body ${check.http.body}: ${(err as Error).message}`);
    }
    return { label, config: check, probe: (signal) => probeHttp(url, status, body, timeout, signal) };
  }
  if (check.tcp !== undefined) {
    const { host } = check.tcp;
    const port = Number(check.tcp.port);
    if (!Number.isInteger(port) || port < 1 || port > 65535)
      throw invalid(`port "${check.tcp.port}" is not a port`);
    return { label, config: check, probe: (signal) => probeTcp(host, port, timeout, signal) };
  }
  const command = check.command;
  if (command === undefined) throw invalid('needs one of http, tcp or command');
  return { label, config: check, probe: (signal) => probeCommand(command, runCommand, timeout, signal) };
}

async function watch(check: PreparedCheck, signal: AbortSignal, io: StepIO, sleep: Sleep): Promise<void> {
  const { label, config } = check;
  const started = Date.now();
  if (config.initialDelay > 0) await sleep(config.initialDelay, signal);
  let passes = 0;
  let failures = 0;
  let probes = 0;
  for (;;) {
    const probeStarted = Date.now();
    probes += 1;
    const outcome = await check.probe(signal);
    if (outcome.ok) {
      failures = 0;
      passes += 1;
      if (passes >= config.successThreshold) {
        const took = formatDuration(Date.now() - started);
        io.log(`${label}: healthy after ${probes} probe${probes === 1 ? '' : 's'} (${took})`, 'info');
        return;
      }
    } else {
      passes = 0;
      failures += 1;
      io.log(`${label}: probe ${failures}/${config.failureThreshold} failed: ${outcome.reason}`, 'info');
      if (failures >= config.failureThreshold) throw healthFailed(label, outcome.reason, failures);
    }
    // `interval` is the period between probe starts, so slow probes do not stretch it.
    await sleep(Math.max(0, config.interval - (Date.now() - probeStarted)), signal);
  }
}

function healthFailed(label: string, reason: string, failures: number): MarshalError {
  const what = reason.startsWith('answered') ? `${label} ${reason}` : `${label}: ${reason}`;
  const count = `${failures} consecutive failure${failures === 1 ? '' : 's'}`;
  return new MarshalError('HEALTH_CHECK_FAILED', `${what} — ${count}`, {
    details: { check: label, failures, lastResult: reason },
  });
}
