import { resumeRun } from '../../engine/index.js';
import { MarshalError } from '../../model/errors.js';
import type { NewEvent } from '../../model/run.js';
import { identity, openProjectStore, parseRunRef, resolveRunId } from '../context.js';
import type { GlobalOptions } from '../output.js';
import { runWithProgress } from '../run-command.js';

/**
 * Records a person's answer to the steps a run waits at, then continues the
 * run in this process: approved steps pass, rejected ones fail (and the run
 * rolls back).
 */
async function answer(
  globals: GlobalOptions,
  ref: string,
  reason: string | undefined,
  approved: boolean,
): Promise<number> {
  const parsed = parseRunRef(ref);
  const store = await openProjectStore(globals, false);
  try {
    const runId = await resolveRunId(store, parsed);
    const record = await store.getRun(runId);
    if (record === undefined)
      throw new MarshalError('NOT_FOUND', `no run #${runId}`, { hint: 'see `marshal history`' });
    const waiting = await store.getSteps(runId, { states: ['waiting'] });
    if (record.state !== 'waiting' || waiting.length === 0) {
      throw new MarshalError('STATE_CONFLICT', `run #${runId} is not waiting for anyone (${record.state})`);
    }
    const actor = identity().actor;
    await store.append(
      waiting.map(
        (s): NewEvent => ({
          type: 'step.approved',
          runId,
          stepId: s.stepId,
          at: Date.now(),
          data: { approved, actor, reason: reason ?? null },
        }),
      ),
    );
    return await runWithProgress(
      globals,
      store,
      record.environment,
      false,
      (deps, options) => {
        options.onPlanned?.(record.plan);
        return resumeRun(deps, runId, options);
      },
      true,
    );
  } finally {
    await store.close();
  }
}

export function run(globals: GlobalOptions, ref: string, flags: { reason?: string }): Promise<number> {
  return answer(globals, ref, flags.reason, true);
}

export function reject(globals: GlobalOptions, ref: string, flags: { reason?: string }): Promise<number> {
  return answer(globals, ref, flags.reason, false);
}
