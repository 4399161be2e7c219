/**
 * One probe of each kind. A probe answers pass or fail with a short reason;
 * it throws only when the step itself is aborted.
 */
import { connect } from 'node:net';
import { formatDuration } from '../../model/duration.js';
import { abortError, timedSignal } from '../abort.js';
import { networkReason } from '../net-reason.js';
import { shortCommand } from '../shell.js';

export type ProbeOutcome = { ok: true } | { ok: false; reason: string };

/** Runs a command health check; resolves with its exit status and (tail of) output. */
export type RunCommand = (
  command: string,
  signal: AbortSignal,
) => Promise<{ exitCode: number; output: string }>;

const PASS: ProbeOutcome = { ok: true };
const fail = (reason: string): ProbeOutcome => ({ ok: false, reason: shortCommand(reason) });

/** Compiles the `body:` expectation: plain text to find, or `/regex/flags`. */
export function bodyMatcher(expected: string): { test(body: string): boolean; describe: string } {
  const regex = /^\/(.+)\/([dgimsuvy]*)$/s.exec(expected);
  if (regex !== null) {
    const pattern = new RegExp(regex[1] as string, regex[2]);
    return { test: (body) => pattern.test(body), describe: `matching ${expected}` };
  }
  return { test: (body) => body.includes(expected), describe: `containing ${JSON.stringify(expected)}` };
}

/** GET `url`; passes on the expected status (and body). */
export async function probeHttp(
  url: string,
  status: number,
  body: ReturnType<typeof bodyMatcher> | null,
  timeoutMs: number,
  signal: AbortSignal,
): Promise<ProbeOutcome> {
  const limit = timedSignal(signal, timeoutMs);
  try {
    const response = await fetch(url, {
      signal: limit.signal,
      headers: { 'user-agent': 'marshal-health-check' },
    });
    if (response.status !== status) {
      await response.body?.cancel();
      return fail(`answered ${response.status} (expected ${status})`);
    }
    if (body === null) {
      await response.body?.cancel();
      return PASS;
    }
    const text = await response.text();
    if (body.test(text)) return PASS;
    const got = text.replace(/\s+/g, ' ').trim().slice(0, 60);
    return fail(`answered ${status} without a body ${body.describe} (got ${JSON.stringify(got)})`);
  } catch (err) {
    if (signal.aborted) throw abortError(signal);
    if (limit.timedOut()) return fail(`timed out after ${formatDuration(timeoutMs)}`);
    return fail(networkReason(err, timeoutMs));
  } finally {
    limit.clear();
  }
}

/** Opens a TCP connection to `host:port`; passes once it is established. */
export function probeTcp(
  host: string,
  port: number,
  timeoutMs: number,
  signal: AbortSignal,
): Promise<ProbeOutcome> {
  if (signal.aborted) return Promise.reject(abortError(signal));
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    const finish = (settle: () => void) => {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      socket.destroy();
      settle();
    };
    const onAbort = () => finish(() => reject(abortError(signal)));
    const timer = setTimeout(
      () => finish(() => resolve(fail(`timed out after ${formatDuration(timeoutMs)}`))),
      timeoutMs,
    );
    signal.addEventListener('abort', onAbort, { once: true });
    socket.once('connect', () => finish(() => resolve(PASS)));
    socket.once('error', (err) => finish(() => resolve(fail(networkReason(err, timeoutMs)))));
  });
}

/** Runs `command`; passes when it exits 0. */
export async function probeCommand(
  command: string,
  runCommand: RunCommand,
  timeoutMs: number,
  signal: AbortSignal,
): Promise<ProbeOutcome> {
  const limit = timedSignal(signal, timeoutMs);
  try {
    const result = await runCommand(command, limit.signal);
    if (result.exitCode === 0) return PASS;
    const last = result.output.trim().split('\n').at(-1)?.trim() ?? '';
    return fail(`exited ${result.exitCode}${last === '' ? '' : `: ${last}`}`);
  } catch (err) {
    if (signal.aborted) throw abortError(signal);
    if (limit.timedOut()) return fail(`timed out after ${formatDuration(timeoutMs)}`);
    return fail(err instanceof Error ? err.message : String(err));
  } finally {
    limit.clear();
  }
}
