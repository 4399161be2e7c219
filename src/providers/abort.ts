/**
 * Cancellation helpers shared by providers. The engine aborts a step's signal
 * with a MarshalError (`TIMEOUT` for a step timeout, `CANCELLED` for Ctrl-C);
 * providers rethrow that reason so the engine sees exactly why the step stopped.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { MarshalError } from '../model/errors.js';

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

/** A signal that aborts with its parent or after `ms`, whichever comes first; `clear` when done. */
export interface TimedSignal {
  readonly signal: AbortSignal;
  /** Whether it was the time limit that aborted it. */
  timedOut(): boolean;
  clear(): void;
}

/**
 * Like `AbortSignal.any([parent, AbortSignal.timeout(ms)])`, without the weak references and
 * the timer left running that those cost on every probe of every health check.
 */
export function timedSignal(parent: AbortSignal, ms: number): TimedSignal {
  const controller = new AbortController();
  let expired = false;
  const onParent = () => controller.abort(parent.reason);
  const timer = setTimeout(() => {
    expired = true;
    controller.abort(new DOMException(`timed out after ${ms} ms`, 'TimeoutError'));
  }, ms);
  timer.unref();
  if (parent.aborted) controller.abort(parent.reason);
  else parent.addEventListener('abort', onParent, { once: true });
  return {
    signal: controller.signal,
    timedOut: () => expired,
    clear: () => {
      clearTimeout(timer);
      parent.removeEventListener('abort', onParent);
    },
  };
}
