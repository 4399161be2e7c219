import { afterEach, describe, expect, it, vi } from 'vitest';
import { MarshalError } from '../model/errors.js';
import { timedSignal } from './abort.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('timedSignal', () => {
  it('aborts after its time limit, and says so', () => {
    vi.useFakeTimers();
    const limit = timedSignal(new AbortController().signal, 50);
    vi.advanceTimersByTime(49);
    expect(limit.signal.aborted).toBe(false);
    vi.advanceTimersByTime(1);
    expect(limit.signal.aborted).toBe(true);
    expect(limit.timedOut()).toBe(true);
    expect((limit.signal.reason as Error).name).toBe('TimeoutError');
  });

  it('aborts with its parent, with the parent’s reason (already aborted or later)', () => {
    const parent = new AbortController();
    const limit = timedSignal(parent.signal, 10_000);
    const reason = new MarshalError('CANCELLED', 'stop');
    parent.abort(reason);
    expect(limit.signal.reason).toBe(reason);
    expect(limit.timedOut()).toBe(false);
    expect(timedSignal(parent.signal, 10_000).signal.reason).toBe(reason);
    limit.clear();
  });

  it('does nothing more once cleared', () => {
    vi.useFakeTimers();
    const parent = new AbortController();
    const limit = timedSignal(parent.signal, 50);
    limit.clear();
    vi.advanceTimersByTime(100);
    parent.abort();
    expect(limit.signal.aborted).toBe(false);
  });
});
