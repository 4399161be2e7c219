/**
 * Group commit. Steps ask for events to be recorded and wait until they are
 * durable before acting; everything asked for in the same turn of the event
 * loop is written in one store transaction. Durability per event, at the cost
 * of one commit per turn rather than one per event.
 *
 * Outcomes (a step succeeded) are only enqueued: nothing acts on them until a
 * dependent step starts, and that start is committed in the same batch or a
 * later one. They ride along with the next start, or are committed within
 * `outcomeDelayMs` (a kill -9 in that window means the step runs again on
 * resume, after its status check).
 *
 * Step output (logs) is buffered and written at most every `logFlushMs`, and
 * always with the next event batch, in its transaction (one commit, one sync).
 */
import { append } from '../model/arrays.js';
import type { LogLine, NewEvent, StepRecord } from '../model/run.js';
import type { RunStore } from '../model/store.js';

export interface RunObserver {
  /** Called once events are durable. */
  onEvents?(events: readonly NewEvent[]): void;
  /** Called as output arrives (before it is durable). */
  onLog?(line: LogLine): void;
  /**
   * Called once when a run is resumed, before anything runs, with the steps it had recorded:
   * those that finished are not run again, so no event will tell of them.
   */
  onResumed?(steps: readonly StepRecord[]): void;
}

interface Waiter {
  resolve(): void;
  reject(error: unknown): void;
}

export class Journal {
  private events: NewEvent[] = [];
  private logs: LogLine[] = [];
  private waiters: Waiter[] = [];
  private scheduled = false;
  private outcomeTimer: NodeJS.Timeout | undefined;
  private logTimer: NodeJS.Timeout | undefined;
  private failure: unknown;
  private readonly broken = new AbortController();
  /**
   * Aborts, with the store's error, when a write fails. Nothing can be recorded after that, so
   * nothing more may be started: the walks stop on it (steps in flight finish; resume checks them).
   */
  readonly failed: AbortSignal = this.broken.signal;

  constructor(
    private readonly store: RunStore,
    private readonly observer: RunObserver = {},
    private readonly logFlushMs = 200,
    private readonly outcomeDelayMs = 5,
  ) {}

  /** Resolves once the event is durable. */
  record(event: NewEvent): Promise<void> {
    return this.recordAll([event]);
  }

  /**
   * Resolves once every given event is durable. A list, not arguments: a run's skipped steps
   * can be hundreds of thousands of events, more than a call's arguments fit on the stack.
   */
  recordAll(events: readonly NewEvent[]): Promise<void> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    append(this.events, events);
    return new Promise<void>((resolve, reject) => {
      this.waiters.push({ resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => void this.flush());
      }
    });
  }

  /**
   * Records an outcome without waiting for it to be durable. It joins the next batch, and
   * batches commit in order, so anything acted on because of it (a dependent step that
   * starts) waits for a batch that includes it. Saves a commit per step.
   */
  enqueue(event: NewEvent): void {
    this.enqueueAll([event]);
  }

  /** {@link enqueue} for a list of events (of any length). */
  enqueueAll(events: readonly NewEvent[]): void {
    if (this.failure !== undefined) return;
    append(this.events, events);
    if (!this.scheduled && this.outcomeTimer === undefined) {
      this.outcomeTimer = setTimeout(() => void this.flush(), this.outcomeDelayMs);
    }
  }

  log(line: LogLine): void {
    this.logs.push(line);
    this.observer.onLog?.(line);
    if (this.logTimer === undefined && !this.scheduled) {
      this.logTimer = setTimeout(() => {
        this.logTimer = undefined;
        void this.flushLogs().catch(() => {});
      }, this.logFlushMs);
      this.logTimer.unref();
    }
  }

  /** Writes whatever is pending now. */
  async flush(): Promise<void> {
    this.scheduled = false;
    if (this.outcomeTimer !== undefined) {
      clearTimeout(this.outcomeTimer);
      this.outcomeTimer = undefined;
    }
    const events = this.events;
    const waiters = this.waiters;
    const logs = this.takeLogs();
    this.events = [];
    this.waiters = [];
    try {
      if (events.length > 0 || logs.length > 0) await this.store.append(events, logs);
    } catch (error) {
      this.failure = error;
      this.broken.abort(error);
      for (const w of waiters) w.reject(error);
      return;
    }
    for (const w of waiters) w.resolve();
    if (events.length > 0) this.observer.onEvents?.(events);
  }

  /** The buffered output, now owned by the caller; its timed flush is cancelled. */
  private takeLogs(): LogLine[] {
    if (this.logTimer !== undefined) {
      clearTimeout(this.logTimer);
      this.logTimer = undefined;
    }
    const logs = this.logs;
    this.logs = [];
    return logs;
  }

  private async flushLogs(): Promise<void> {
    const logs = this.takeLogs();
    if (logs.length > 0) await this.store.append([], logs);
  }

  /** Flushes everything; call before the run returns. */
  async close(): Promise<void> {
    await this.flush();
    if (this.failure !== undefined) throw this.failure;
  }
}
