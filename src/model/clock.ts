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
