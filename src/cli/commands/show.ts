import { MarshalError } from '../../model/errors.js';
import { openProjectStore, parseRunRef, resolveRunId } from '../context.js';
import { type GlobalOptions, print, printJson } from '../output.js';
import { planSteps, renderRun } from '../render/run.js';

export async function run(globals: GlobalOptions, ref: string): Promise<number> {
  const parsed = parseRunRef(ref);
  const store = await openProjectStore(globals, false);
  try {
    const runId = await resolveRunId(store, parsed);
    const record = await store.getRun(runId);
    if (record === undefined)
      throw new MarshalError('NOT_FOUND', `no run #${runId}`, { hint: 'see `marshal history`' });
    const steps = planSteps(record.plan, await store.getSteps(runId));
    if (globals.json) printJson({ run: record, steps });
    else print(renderRun(record, steps));
    return 0;
  } finally {
    await store.close();
  }
}
