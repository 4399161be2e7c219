import { describe, expect, it } from 'vitest';
import type { LockInfo } from '../model/store.js';
import { mayTakeLock, mediansByPhase, nextStep, serviceAndPhase } from './projection.js';

describe('serviceAndPhase', () => {
  it('takes the service and the part after the host; rollback steps have none', () => {
    expect(serviceAndPhase('api/h1/run:migrate')).toEqual(['api', 'run:migrate']);
    expect(serviceAndPhase('api-gw/h1/upload')).toEqual(['api-gw', 'upload']);
    expect(serviceAndPhase('rollback/api/h1/restore')).toBeUndefined();
    expect(serviceAndPhase('api/h1')).toBeUndefined();
  });
});

describe('mediansByPhase', () => {
  it('takes the middle value, or the rounded mean of the middle two', () => {
    const samples = [
      { stepId: 'api/h1/upload', durationMs: 30 },
      { stepId: 'api/h2/upload', durationMs: 10 },
      { stepId: 'api/h1/upload', durationMs: 20 },
      { stepId: 'api/h1/start', durationMs: 1 },
      { stepId: 'api/h1/start', durationMs: 2 },
    ];
    expect(mediansByPhase([...samples, { stepId: 'web/h1/start', durationMs: 5 }])).toEqual({
      api: { start: 2, upload: 20 },
      web: { start: 5 },
    });
  });
});

describe('nextStep', () => {
  it('refuses a step event without a step id', () => {
    expect(() =>
      nextStep(undefined, { type: 'step.started', runId: 1, at: 1, data: { attempt: 1 } }),
    ).toThrow(expect.objectContaining({ code: 'INTERNAL' }));
  });
});

describe('answers', () => {
  // `show` notes an answer on its step the same way, whichever form the store holds it in.
  it('notes approve and reject on the waiting step, and an answer recorded before step.answered alike', () => {
    const answered = (data: { decision: 'approved' | 'rejected'; reason: string | null }) =>
      nextStep(undefined, {
        type: 'step.answered',
        runId: 1,
        stepId: 'api/-/approve',
        at: 1,
        data: { ...data, actor: 'alice' },
      }).note;
    expect(answered({ decision: 'approved', reason: null })).toBe('approved by alice');
    expect(answered({ decision: 'rejected', reason: 'too noisy' })).toBe('rejected by alice: too noisy');
    const old = nextStep(undefined, {
      type: 'step.approved',
      runId: 1,
      stepId: 'api/-/approve',
      at: 1,
      data: { approved: true, actor: 'bob', reason: 'ok' },
    });
    expect(old.note).toBe('approved by bob: ok');
  });
});

describe('mayTakeLock', () => {
  const lock: LockInfo = {
    environment: 'prod',
    runId: 1,
    actor: 'a',
    pid: 10,
    hostname: 'box',
    acquiredAt: 0,
    expiresAt: 100,
  };
  const alive = () => true;

  const other = { runId: 2, pid: 11, hostname: 'box' };
  it('takes an expired lease, re-enters its own run in its own process, and takes a dead local holder only', () => {
    expect(mayTakeLock(lock, other, 100, 'box', alive)).toBe(true);
    expect(mayTakeLock(lock, other, 99, 'box', alive)).toBe(false);
    expect(mayTakeLock(lock, { runId: 1, pid: 10, hostname: 'box' }, 99, 'box', alive)).toBe(true);
    expect(mayTakeLock(lock, other, 99, 'box', () => false)).toBe(true);
    expect(mayTakeLock(lock, other, 99, 'other', () => false)).toBe(false);
  });

  it('refuses the same run from another live process (a run executes once)', () => {
    expect(mayTakeLock(lock, { runId: 1, pid: 12, hostname: 'box' }, 99, 'box', alive)).toBe(false);
    expect(mayTakeLock(lock, { runId: 1, pid: 12, hostname: 'box' }, 99, 'box', () => false)).toBe(true);
  });
});
