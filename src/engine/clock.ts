/** The real Clock: wall time and timers. */
import { setTimeout as delay } from 'node:timers/promises';
import type { Clock } from '../model/clock.js';
import { formatDuration } from '../model/duration.js';
import { MarshalError } from '../model/errors.js';
import { timedSignal } from '../model/signals.js';

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: async (ms, signal) => {
    if (ms <= 0) return;
    await delay(ms, undefined, signal ? { signal } : undefined);
  },
  deadline: (ms, parent) =>
    timedSignal(
      parent,
      ms,
      () => new MarshalError('TIMEOUT', `step exceeded its timeout of ${formatDuration(ms)}`),
    ),
};
