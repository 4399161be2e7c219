import { MarshalError } from '../../model/errors.js';
import { openProjectStore } from '../context.js';
import { color, type GlobalOptions, print, printJson } from '../output.js';

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

export async function run(globals: GlobalOptions): Promise<number> {
  const store = await openProjectStore(globals, false);
  try {
    const report = await store.verifyChain();
    if (!report.ok) {
      // A broken chain is an error like any other: printed once, with its code (exit 1).
      throw new MarshalError(
        'AUDIT_FAILED',
        `the event log was changed: event ${report.problem?.seq}: ${report.problem?.reason} (${plural(report.events, 'event')} checked)`,
        { details: { report } },
      );
    }
    if (globals.json) printJson(report);
    else print(`${color.green('ok')}: ${plural(report.events, 'event')}, hash chain intact`);
    return 0;
  } finally {
    await store.close();
  }
}
