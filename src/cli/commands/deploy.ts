import { planDeploy, startRun } from '../../engine/index.js';
import { buildPlan, checkRequest, readsLocalArtifacts } from '../../plan/index.js';
import {
  checkLocalArtifacts,
  openProjectStore,
  readProjectFrom,
  rememberProject,
  storeExists,
} from '../context.js';
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
  const selected = checkRequest(project, request);
  // So do missing artifacts on a first deploy, which plans against nothing; later ones are checked
  // under the lock, against what is live (an unchanged service's artifact is not read).
  if (!storeExists(globals) && readsLocalArtifacts(project.config, selected))
    checkLocalArtifacts(buildPlan(project, request, {}));
  const store = await openProjectStore(globals, true);
  if (!fromCache) rememberProject(project);
  try {
    return await runWithProgress(globals, store, environment, flags.wait, (deps, options) =>
      startRun(
        deps,
        environment,
        async () => {
          const plan = await planDeploy({ store }, project, request);
          // Before the run exists: a missing artifact stops the deploy with nothing changed.
          checkLocalArtifacts(plan);
          return plan;
        },
        {
          ...options,
          reason: flags.reason ?? null,
        },
      ),
    );
  } finally {
    await store.close();
  }
}
