import { describe, expect, it } from 'vitest';
import { MarshalError } from '../model/errors.js';
import { RecordingClock } from '../testing/clock.js';
import { deliverySetup } from '../testing/delivery-setup.js';
import { resumeRun } from './runs.js';

/** Waits until `signal` aborts, then throws its reason: a router, an analysis or a clock that is stuck. */
function stuck(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    if (signal.aborted) reject(signal.reason);
    signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
}

/** The events of one step, as `type attempt` (and the error code of a failure). */
async function history(store: ReturnType<typeof deliverySetup>['store'], runId: number, step: string) {
  return (await store.getEvents({ runId }))
    .filter((e) => e.stepId === step)
    .map((e) => {
      if (e.type === 'step.failed') return `failed ${e.data.attempt} ${e.data.error.code}`;
      const type = e.type.replace(/^step\./, '');
      return 'attempt' in e.data ? `${type} ${e.data.attempt}` : type;
    });
}

// Service-level steps take the service's timeout and retry policy, as its target steps do.
const api = { timeout: '50ms', retry: { attempts: 2, backoff: '1ms' } };

describe('service-level steps: deadlines and retries', () => {
  it('a router that hangs fails its step with TIMEOUT after the service timeout, and the run rolls back', async () => {
    const { store, traffic, deploy } = deliverySetup({
      strategy: { type: 'canary', steps: [{ setWeight: 10 }] },
      api: { timeout: '50ms' },
    });
    await deploy('v1');
    traffic.onApply = async (weights, signal) => {
      if (weights.includes('green-h1=10')) await stuck(signal);
    };
    const outcome = await deploy('v2');
    expect(outcome.state).toBe('rolled_back');
    const step = (await store.getSteps(outcome.runId)).find((s) => s.stepId === 'api/-/weight-10');
    expect(step?.error).toMatchObject({ code: 'TIMEOUT', message: 'step exceeded its timeout of 50ms' });
    // Traffic went back to the old slot.
    expect(traffic.applied.at(-1)).toEqual(['blue-h1=100', 'blue-h2=100', 'green-h1=0', 'green-h2=0']);
  });

  it('a router that fails once is tried again by the service retry policy', async () => {
    const { store, traffic, deploy } = deliverySetup({
      strategy: { type: 'canary', steps: [{ setWeight: 10 }] },
      api,
    });
    await deploy('v1');
    let failures = 0;
    traffic.onApply = async (weights) => {
      if (weights.includes('green-h1=10') && failures++ === 0)
        throw new MarshalError('PROVIDER_ERROR', 'router reload failed');
    };
    const outcome = await deploy('v2');
    expect(outcome.state).toBe('succeeded');
    expect(await history(store, outcome.runId, 'api/-/weight-10')).toEqual([
      'started 1',
      'failed 1 PROVIDER_ERROR',
      'retrying 1',
      'started 2',
      'succeeded 2',
    ]);
  });

  it('an analysis that outlives its deadline is stopped with TIMEOUT and tried again', async () => {
    const { store, traffic, deploy } = deliverySetup({
      strategy: { type: 'canary', steps: [{ analysis: 'errors' }] },
      // Its deadline: the longest 1 measurement every 10ms may take (4 with errors), + 50ms.
      analysis: { command: 'check', successCondition: 'result == 0', count: 1, interval: '10ms' },
      api,
    });
    let calls = 0;
    traffic.onAnalyze = async (_name, signal) => {
      if (calls++ === 0) await stuck(signal);
    };
    const outcome = await deploy('v1');
    expect(outcome.state).toBe('succeeded');
    expect(await history(store, outcome.runId, 'api/-/analysis-errors')).toEqual([
      'started 1',
      'failed 1 TIMEOUT',
      'retrying 1',
      'started 2',
      'analysis.measurement',
      'succeeded 2',
    ]);
  });

  it('a pause has its duration plus the service timeout; an approval waits for a person however long it takes', async () => {
    // A clock whose first 10ms pause never ends (a stalled timer).
    class StallingClock extends RecordingClock {
      override sleep(ms: number, signal?: AbortSignal): Promise<void> {
        if (ms === 10 && signal && !this.sleeps.includes(10)) {
          this.sleeps.push(ms);
          return stuck(signal);
        }
        return super.sleep(ms, signal);
      }
    }
    const { store, deps, deploy, answer } = deliverySetup({
      strategy: { type: 'canary', steps: [{ pause: { duration: '10ms' } }, { pause: {} }] },
      api,
    });
    const clock = new StallingClock();
    const waiting = await deploy('v1', { clock });
    expect(await history(store, waiting.runId, 'api/-/pause-1')).toEqual([
      'started 1',
      'failed 1 TIMEOUT',
      'retrying 1',
      'started 2',
      'succeeded 2',
    ]);
    expect(waiting.state).toBe('waiting');
    // The person answers long after the service timeout: waiting is no failure.
    await new Promise((resolve) => setTimeout(resolve, 100));
    await answer(waiting.runId, 'api/-/approve', 'approved');
    expect((await resumeRun({ ...deps, clock }, waiting.runId)).state).toBe('succeeded');
  });
});
