import { planDeploy, startRun } from '../../engine/index.js';
import { checkRequest } from '../../plan/index.js';
import { openProjectStore, readProjectFrom, rememberProject } from '../context.js';
import { type DeployFlags, planRequest } from '../deploy-options.js';
import type { GlobalOptions } from '../output.js';
import { runWithProgress } from '../run-command.js';

interface Flags extends DeployFlags {
  wait: boolean;
  reason?: string;
}

export async function run(globals: GlobalOptions, environment: string, flags: Flags): Promise<number> {
  // Everything that can be wrong with the input is checked before the store is opened.
  const { project, fromCache } = await readProjectFrom(globals, true);
  const request = { ...planRequest(environment, flags), estimate: false };
  // Bad arguments fail here, before the store exists.
  checkRequest(project, request);
  const store = await openProjectStore(globals, true);
  if (!fromCache) rememberProject(project);
  try {
    return await runWithProgress(globals, store, environment, flags.wait, (deps, options) =>
      startRun(deps, environment, () => planDeploy({ store }, project, request), {
        ...options,
        reason: flags.reason ?? null,
      }),
    );
  } finally {
    await store.close();
  }
}
