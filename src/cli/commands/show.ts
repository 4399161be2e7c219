import { MarshalError } from '../../model/errors.js';
import type { Measurement } from '../../model/traffic.js';
import { openProjectStore, parseRunRef, resolveRunId } from '../context.js';
import { type GlobalOptions, print, printJson } from '../output.js';
import { planSteps, renderRun } from '../render/run.js';
import { readRunTime, timeFields } from '../render/took.js';

export async function run(globals: GlobalOptions, ref: string, flags: { all: boolean }): Promise<number> {
  const parsed = parseRunRef(ref);
  const store = await openProjectStore(globals, false);
  try {
    const runId = await resolveRunId(store, parsed);
    const record = await store.getRun(runId);
    if (record === undefined)
      throw new MarshalError('NOT_FOUND', `no run #${runId}`, { hint: 'see `marshal history`' });
    const steps = planSteps(record.plan, await store.getSteps(runId));
    // Analyses keep every measurement in the event log, with the step they belong to.
    const measurements: Record<string, Measurement[]> = {};
    for (const event of await store.getEvents({ runId, type: 'analysis.measurement' })) {
      if (event.type !== 'analysis.measurement' || event.stepId === undefined) continue;
      const list = measurements[event.stepId] ?? [];
      list.push(event.data.measurement);
      measurements[event.stepId] = list;
    }
    const time = await readRunTime(store, record);
    if (globals.json) printJson({ run: { ...record, ...timeFields(time) }, steps, measurements });
    else print(renderRun(record, steps, measurements, flags.all, time));
    return 0;
  } finally {
    await store.close();
  }
}
