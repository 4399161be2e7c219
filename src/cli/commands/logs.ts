import { setTimeout as sleep } from 'node:timers/promises';
import { MarshalError } from '../../model/errors.js';
import { isTerminalRunState, type StoredLogLine } from '../../model/run.js';
import { openProjectStore, parseRunRef, resolveRunId } from '../context.js';
import { color, type GlobalOptions, print, printJson, timestamp } from '../output.js';

function format(line: StoredLogLine): string {
  const text =
    line.stream === 'stderr'
      ? color.yellow(line.line)
      : line.stream === 'info'
        ? color.dim(line.line)
        : line.line;
  return `${color.dim(timestamp(line.at))} ${line.stepId} ${color.dim('|')} ${text}`;
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
    if ((await store.getRun(runId)) === undefined) throw new MarshalError('NOT_FOUND', `no run #${runId}`);
    // A step id selects that step; a prefix ending in "/" (api/, api/host-1/) selects everything under it.
    const matches = (l: StoredLogLine) =>
      flags.step === undefined ||
      l.stepId === flags.step ||
      (flags.step.endsWith('/') && l.stepId.startsWith(flags.step));
    const exact = flags.step !== undefined && !flags.step.endsWith('/') ? { stepId: flags.step } : {};
    let afterId = 0;
    const collected: StoredLogLine[] = [];
    for (;;) {
      const batch = await store.getLogs({ runId, afterId, limit: 5000, ...exact });
      for (const line of batch) {
        afterId = line.id;
        if (!matches(line)) continue;
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
