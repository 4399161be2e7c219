import { withRun } from '../context.js';
import type { GlobalOptions } from '../output.js';
import { resumeWithProgress } from '../run-command.js';

export function run(globals: GlobalOptions, ref: string, flags: { wait: boolean }): Promise<number> {
  return withRun(globals, ref, (store, record) => resumeWithProgress(globals, store, record, flags.wait));
}
