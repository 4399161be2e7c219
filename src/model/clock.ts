/** Time comes into the engine only through a Clock, so tests can control it. */
export interface Clock {
  now(): number;
  /** Resolves after `ms`, or rejects with an AbortError when `signal` aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  /**
   * A signal that aborts after `ms` (with a TIMEOUT error), or as soon as `parent` aborts
   * (with its reason); call `clear` when it is no longer needed.
   */
  deadline(ms: number, parent?: AbortSignal): { signal: AbortSignal; clear(): void };
}

/**
 * Milliseconds on a monotonic clock, for measuring intervals. Not `performance.now()`:
 * touching `performance` loads `node:perf_hooks`, ~2 ms of every command that does.
 */
export function monotonicMs(): number {
  const [seconds, nanoseconds] = process.hrtime();
  return seconds * 1e3 + nanoseconds / 1e6;
}
