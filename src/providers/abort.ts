/**
 * Cancellation helpers shared by providers. The engine aborts a step's signal
 * with a MarshalError (`TIMEOUT` for a step timeout, `CANCELLED` for Ctrl-C);
 * providers rethrow that reason so the engine sees exactly why the step stopped.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { MarshalError } from '../model/errors.js';
import { timedSignal as linkedTimeout, type TimedSignal } from '../model/signals.js';

export type { TimedSignal };

/** The error to throw for an aborted signal: its reason when it is a MarshalError, else CANCELLED. */
export function abortError(signal: AbortSignal): MarshalError {
  const reason: unknown = signal.reason;
  if (reason instanceof MarshalError) return reason;
  return new MarshalError('CANCELLED', 'cancelled', reason === undefined ? {} : { cause: reason });
}

/** Throws {@link abortError} when the signal has already aborted. */
export function throwIfAborted(signal: AbortSignal): void {
  if (signal.aborted) throw abortError(signal);
}

/** An abortable sleep: resolves after `ms`, or rejects with {@link abortError} when `signal` aborts. */
export type Sleep = (ms: number, signal: AbortSignal) => Promise<void>;

/** The real {@link Sleep}, on Node's timers. */
export const sleep: Sleep = async (ms, signal) => {
  throwIfAborted(signal);
  try {
    await delay(ms, undefined, { signal });
  } catch (err) {
    if (signal.aborted) throw abortError(signal);
    throw err;
  }
};

/** A signal that aborts with `parent` or after `ms` (with a TimeoutError), whichever comes first. */
export function timedSignal(parent: AbortSignal, ms: number): TimedSignal {
  return linkedTimeout(parent, ms, () => new DOMException(`timed out after ${ms} ms`, 'TimeoutError'));
}
