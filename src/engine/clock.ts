/** The real Clock: wall time and timers. */
import { setTimeout as delay } from 'node:timers/promises';
import type { Clock } from '../model/clock.js';
import { formatDuration } from '../model/duration.js';
import { MarshalError } from '../model/errors.js';

/**
 * Deadlines linked to each parent signal. One listener per parent aborts them all: adding and
 * removing an EventTarget listener per step costs more than the rest of a no-op step's
 * bookkeeping, while a Set costs next to nothing.
 */
const linked = new WeakMap<AbortSignal, Set<AbortController>>();

function link(parent: AbortSignal, controller: AbortController): () => void {
  let children = linked.get(parent);
  if (children === undefined) {
    const set = new Set<AbortController>();
    children = set;
    linked.set(parent, set);
    parent.addEventListener(
      'abort',
      () => {
        for (const child of [...set]) child.abort(parent.reason);
        set.clear();
      },
      { once: true },
    );
  }
  const set = children;
  set.add(controller);
  return () => set.delete(controller);
}

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
    let unlink = () => {};
    if (parent?.aborted) controller.abort(parent.reason);
    else if (parent) unlink = link(parent, controller);
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
        unlink();
      },
    };
  },
};
