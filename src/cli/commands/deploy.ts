import { planDeploy, startRun } from '../../engine/index.js';
import { openProjectStore, readProject } from '../context.js';
import { type DeployFlags, planRequest } from '../deploy-options.js';
import { type GlobalOptions, print, printJson } from '../output.js';
import { renderPlan } from '../render/plan.js';
import { runWithProgress } from '../run-command.js';

interface Flags extends DeployFlags {
  wait: boolean;
  reason?: string;
}

export async function run(globals: GlobalOptions, environment: string, flags: Flags): Promise<number> {
  // Everything that can be wrong with the input is checked before the store is opened.
  const project = readProject(globals);
  const request = planRequest(environment, flags);
  const store = await openProjectStore(globals, true);
  try {
    const plan = await planDeploy({ store }, project, request);
    if (plan.services.length === 0) {
      if (globals.json) printJson({ changes: false, plan });
      else print(renderPlan(plan, false));
      return 0;
    }
    return await runWithProgress(globals, store, plan, flags.wait, (deps, options) =>
      startRun(deps, plan, { ...options, reason: flags.reason ?? null }),
    );
  } finally {
    await store.close();
  }
}
