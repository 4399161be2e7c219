import { planDeploy, type RollbackTo, rollbackVersions, startRun } from '../../engine/index.js';
import { isValidVersion } from '../../model/schema.js';
import { openProjectStore, readProject } from '../context.js';
import { parseServices } from '../deploy-options.js';
import { argumentError, type GlobalOptions, print, printJson } from '../output.js';
import { renderPlan } from '../render/plan.js';
import { runWithProgress } from '../run-command.js';

interface Flags {
  to?: string;
  services?: string;
  wait: boolean;
  reason?: string;
}

function parseTo(value: string | undefined): RollbackTo {
  if (value === undefined) return undefined;
  if (/^#?\d+$/.test(value)) return { run: Number(value.replace('#', '')) };
  if (!isValidVersion(value)) throw argumentError(`--to "${value}" is neither a run id (#12) nor a version`);
  return { version: value };
}

export async function run(globals: GlobalOptions, environment: string, flags: Flags): Promise<number> {
  const project = readProject(globals);
  const to = parseTo(flags.to);
  const selected = parseServices(flags.services);
  if (project.config.environments[environment] === undefined) {
    throw argumentError(
      `unknown environment "${environment}"`,
      `environments: ${Object.keys(project.config.environments).join(', ')}`,
    );
  }
  const store = await openProjectStore(globals, false);
  try {
    const services = selected ?? Object.keys(project.config.services);
    const set = await rollbackVersions(store, environment, services, to);
    const plan = await planDeploy({ store }, project, {
      environment,
      kind: 'rollback',
      services: Object.keys(set),
      set,
    });
    if (plan.services.length === 0) {
      if (globals.json) printJson({ changes: false, plan });
      else print(renderPlan(plan, false));
      return 0;
    }
    return await runWithProgress(globals, store, plan, flags.wait, (deps, options) =>
      startRun(deps, plan, {
        ...options,
        reason: flags.reason ?? `rollback${flags.to ? ` to ${flags.to}` : ''}`,
      }),
    );
  } finally {
    await store.close();
  }
}
