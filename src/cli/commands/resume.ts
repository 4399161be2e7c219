import { resumeRun } from '../../engine/index.js';
import { MarshalError } from '../../model/errors.js';
import { openProjectStore, parseRunRef, resolveRunId } from '../context.js';
import type { GlobalOptions } from '../output.js';
import { runWithProgress } from '../run-command.js';

export async function run(globals: GlobalOptions, ref: string, flags: { wait: boolean }): Promise<number> {
  const parsed = parseRunRef(ref);
  const store = await openProjectStore(globals, false);
  try {
    const runId = await resolveRunId(store, parsed);
    const record = await store.getRun(runId);
    if (record === undefined)
      throw new MarshalError('NOT_FOUND', `no run #${runId}`, { hint: 'see `marshal history`' });
    return await runWithProgress(
      globals,
      store,
      record.environment,
      flags.wait,
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
