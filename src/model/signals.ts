/**
 * A signal that aborts with its parent or after a time limit, whichever comes first: step
 * deadlines (engine/clock.ts) and probe timeouts (providers/abort.ts) both need one per use.
 *
 * Not `AbortSignal.any([parent, AbortSignal.timeout(ms)])`: its weak references cost the garbage
 * collector dearly at one signal per step, and its timer keeps running after the work is done.
 * Children are linked to their parent through a Set and one listener per parent: adding and
 * removing an EventTarget listener each time costs more than the rest of a no-op step.
 */
export interface TimedSignal {
  readonly signal: AbortSignal;
  /** Whether it was the time limit that aborted it. */
  timedOut(): boolean;
  /** Stops the timer and unlinks it from the parent; call once the work is done. */
  clear(): void;
}

const children = new WeakMap<AbortSignal, Set<AbortController>>();

function link(parent: AbortSignal, controller: AbortController): () => void {
  let set = children.get(parent);
  if (set === undefined) {
    const created = new Set<AbortController>();
    set = created;
    children.set(parent, created);
    parent.addEventListener(
      'abort',
      () => {
        for (const child of [...created]) child.abort(parent.reason);
        created.clear();
      },
      { once: true },
    );
  }
  const linked = set;
  linked.add(controller);
  return () => linked.delete(controller);
}

/** `reason` makes the error the signal aborts with when time is up. */
export function timedSignal(parent: AbortSignal | undefined, ms: number, reason: () => unknown): TimedSignal {
  const controller = new AbortController();
  let expired = false;
  let unlink = () => {};
  const timer = setTimeout(() => {
    expired = true;
    controller.abort(reason());
  }, ms);
  timer.unref();
  if (parent?.aborted) controller.abort(parent.reason);
  else if (parent) unlink = link(parent, controller);
  return {
    signal: controller.signal,
    timedOut: () => expired,
    clear: () => {
      clearTimeout(timer);
      unlink();
    },
  };
}
