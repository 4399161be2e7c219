import { openProjectStore } from '../context.js';
import { color, type GlobalOptions, print, printJson } from '../output.js';

export async function run(globals: GlobalOptions): Promise<number> {
  const store = await openProjectStore(globals, false);
  try {
    const report = await store.verifyChain();
    if (globals.json) printJson(report);
    else if (report.ok) print(`${color.green('ok')}: ${report.events} events, hash chain intact`);
    else
      print(
        `${color.red('TAMPERED')}: event ${report.problem?.seq}: ${report.problem?.reason} (${report.events} events checked)`,
      );
    return report.ok ? 0 : 1;
  } finally {
    await store.close();
  }
}
