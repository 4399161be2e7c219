import { planDeploy } from '../../engine/index.js';
import { MarshalError } from '../../model/errors.js';
import type { Plan } from '../../model/plan.js';
import { buildPlan } from '../../plan/index.js';
import { checkLocalArtifacts, openProjectStore, readProject } from '../context.js';
import { type DeployFlags, planRequest } from '../deploy-options.js';
import { type GlobalOptions, print, printJson } from '../output.js';
import { renderPlan } from '../render/plan.js';

export async function run(globals: GlobalOptions, environment: string, flags: DeployFlags): Promise<number> {
  const project = await readProject(globals, true);
  const request = planRequest(environment, flags);
  let plan: Plan;
  try {
    const store = await openProjectStore(globals, false);
    try {
      plan = await planDeploy({ store }, project, request);
    } finally {
      await store.close();
    }
  } catch (error) {
    // No history yet: plan against an empty state without creating the store.
    if (!(error instanceof MarshalError && error.code === 'NOT_FOUND')) throw error;
    plan = buildPlan(project, request, {});
  }
  // What the deploy would refuse, the plan refuses too.
  checkLocalArtifacts(plan);
  if (globals.json) printJson({ changes: plan.services.length > 0, plan });
  else print(renderPlan(plan, globals.verbose));
  return 0;
}
