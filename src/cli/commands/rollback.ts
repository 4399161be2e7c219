import { planDeploy, type RollbackTo, rollbackVersions, startRun } from '../../engine/index.js';
import { isValidVersion } from '../../model/version.js';
import { openProjectStore, readProjectFrom, rememberProject } from '../context.js';
import { parseServices } from '../deploy-options.js';
import { argumentError, type GlobalOptions } from '../output.js';
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
  const { project, fromCache } = await readProjectFrom(globals, true);
  const to = parseTo(flags.to);
  const selected = parseServices(flags.services);
  if (project.config.environments[environment] === undefined) {
    throw argumentError(
      `unknown environment "${environment}"`,
      `environments: ${Object.keys(project.config.environments).join(', ')}`,
    );
  }
  const store = await openProjectStore(globals, false);
  if (!fromCache) rememberProject(project);
  try {
    const services = selected ?? Object.keys(project.config.services);
    const set = await rollbackVersions(store, environment, services, to);
    const request = {
      environment,
      kind: 'rollback' as const,
      services: Object.keys(set),
      set,
      estimate: false,
    };
    return await runWithProgress(globals, store, environment, flags.wait, (deps, options) =>
      startRun(deps, environment, () => planDeploy({ store }, project, request), {
        ...options,
        reason: flags.reason ?? `rollback${flags.to ? ` to ${flags.to}` : ''}`,
      }),
    );
  } finally {
    await store.close();
  }
}
