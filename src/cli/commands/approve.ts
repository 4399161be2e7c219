import { MarshalError } from '../../model/errors.js';
import type { Answer, NewEvent } from '../../model/run.js';
import { identity, withRun } from '../context.js';
import type { GlobalOptions } from '../output.js';
import { resumeWithProgress } from '../run-command.js';

/**
 * Records a person's answer to the steps a run waits at, then continues the
 * run in this process: approved steps pass, rejected ones fail (and the run
 * rolls back).
 */
function answer(
  globals: GlobalOptions,
  ref: string,
  reason: string | undefined,
  decision: Answer['decision'],
): Promise<number> {
  return withRun(globals, ref, async (store, record) => {
    const waiting = await store.getSteps(record.id, { states: ['waiting'] });
    if (record.state !== 'waiting' || waiting.length === 0) {
      throw new MarshalError(
        'STATE_CONFLICT',
        `run #${record.id} is not waiting for anyone (${record.state})`,
      );
    }
    const actor = identity().actor;
    await store.append(
      waiting.map(
        (s): NewEvent => ({
          type: 'step.answered',
          runId: record.id,
          stepId: s.stepId,
          at: Date.now(),
          data: { decision, actor, reason: reason ?? null },
        }),
      ),
    );
    return resumeWithProgress(globals, store, record, false);
  });
}

export function run(globals: GlobalOptions, ref: string, flags: { reason?: string }): Promise<number> {
  return answer(globals, ref, flags.reason, 'approved');
}

export function reject(globals: GlobalOptions, ref: string, flags: { reason?: string }): Promise<number> {
  return answer(globals, ref, flags.reason, 'rejected');
}
