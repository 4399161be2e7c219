import { setTimeout as sleep } from 'node:timers/promises';
import { MarshalError } from '../../model/errors.js';
import { isTerminalRunState, type StoredLogLine } from '../../model/run.js';
import { stepPathFilter } from '../../model/step-ref.js';
import { openProjectStore, parseRunRef, resolveRunId } from '../context.js';
import { color, type GlobalOptions, print, printJson, timestamp } from '../output.js';
import { planSteps } from '../render/run.js';

function format(line: StoredLogLine): string {
  const text =
    line.stream === 'stderr'
      ? color.yellow(line.line)
      : line.stream === 'info'
        ? color.dim(line.line)
        : line.line;
  return `${color.dim(timestamp(line.at))} ${line.stepId} ${color.dim('|')} ${text}`;
}

/** `--step X`: every step when absent, else what model/step-ref.ts `stepPathFilter` selects. */
export function stepFilter(step: string | undefined): (stepId: string) => boolean {
  return step === undefined ? () => true : stepPathFilter(step);
}

export async function run(
  globals: GlobalOptions,
  ref: string,
  flags: { step?: string; follow: boolean },
): Promise<number> {
  const parsed = parseRunRef(ref);
  const store = await openProjectStore(globals, false);
  try {
    const runId = await resolveRunId(store, parsed);
    const record = await store.getRun(runId);
    if (record === undefined)
      throw new MarshalError('NOT_FOUND', `no run #${runId}`, { hint: 'see `marshal history`' });
    const matches = stepFilter(flags.step);
    if (flags.step !== undefined) {
      const known = planSteps(record.plan, await store.getSteps(runId)).map((s) => s.stepId);
      if (!known.some(matches)) {
        throw new MarshalError('NOT_FOUND', `no step of run #${runId} matches "${flags.step}"`, {
          hint: `steps look like ${known.slice(0, 3).join(', ')}${known.length > 3 ? ', …' : ''}; a service or host (api, api/host-1) selects all of its steps`,
        });
      }
    }
    let afterId = 0;
    const collected: StoredLogLine[] = [];
    for (;;) {
      const batch = await store.getLogs({ runId, afterId, limit: 5000 });
      for (const line of batch) {
        afterId = line.id;
        if (!matches(line.stepId)) continue;
        if (globals.json) collected.push(line);
        else print(format(line));
      }
      if (batch.length === 5000) continue;
      if (!flags.follow) break;
      const current = await store.getRun(runId);
      if (current === undefined || isTerminalRunState(current.state)) break;
      await sleep(250);
    }
    if (globals.json) printJson({ runId, lines: collected });
    return 0;
  } finally {
    await store.close();
  }
}
