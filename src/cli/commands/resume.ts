import { resumeRun } from '../../engine/index.js';
import { MarshalError } from '../../model/errors.js';
import { openProjectStore, resolveRunId } from '../context.js';
import type { GlobalOptions } from '../output.js';
import { runWithProgress } from '../run-command.js';

export async function run(globals: GlobalOptions, ref: string, flags: { wait: boolean }): Promise<number> {
  const store = await openProjectStore(globals, false);
  try {
    const runId = await resolveRunId(store, ref);
    const record = await store.getRun(runId);
    if (record === undefined)
      throw new MarshalError('NOT_FOUND', `no run #${runId}`, { hint: 'see `marshal history`' });
    return await runWithProgress(globals, store, record.plan, flags.wait, (deps, options) =>
      resumeRun(deps, runId, options),
    );
  } finally {
    await store.close();
  }
}
