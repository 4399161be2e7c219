/** The real Clock: wall time and timers. */
import { setTimeout as delay } from 'node:timers/promises';
import type { Clock } from '../model/clock.js';
import { formatDuration } from '../model/duration.js';
import { MarshalError } from '../model/errors.js';

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: async (ms, signal) => {
    if (ms <= 0) return;
    await delay(ms, undefined, signal ? { signal } : undefined);
  },
  deadline: (ms, parent) => {
    // Linked by hand rather than with AbortSignal.any, whose weak references cost the garbage
    // collector dearly at one signal per step.
    const controller = new AbortController();
    const onParent = () => controller.abort(parent?.reason);
    if (parent?.aborted) controller.abort(parent.reason);
    else parent?.addEventListener('abort', onParent, { once: true });
    const timer = setTimeout(
      () =>
        controller.abort(new MarshalError('TIMEOUT', `step exceeded its timeout of ${formatDuration(ms)}`)),
      ms,
    );
    timer.unref();
    return {
      signal: controller.signal,
      clear: () => {
        clearTimeout(timer);
        parent?.removeEventListener('abort', onParent);
      },
    };
  },
};
