/** A real clock that also records every sleep the engine asks for (backoff delays, pauses). */
import { systemClock } from '../engine/clock.js';
import type { Clock } from '../model/clock.js';

export class RecordingClock implements Clock {
  readonly sleeps: number[] = [];
  now(): number {
    return systemClock.now();
  }
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    this.sleeps.push(ms);
    return systemClock.sleep(ms, signal);
  }
  deadline(ms: number, parent?: AbortSignal): { signal: AbortSignal; clear(): void } {
    return systemClock.deadline(ms, parent);
  }
}
