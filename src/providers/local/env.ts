/** The environment of commands and processes the local provider runs. */
import type { TargetContext } from '../../model/provider.js';

/**
 * `base` (normally process.env) + `extra` (the step's or process's own env) +
 * the MARSHAL_* facts of the target, which win: a command can rely on them.
 */
export function commandEnv(
  base: NodeJS.ProcessEnv,
  target: TargetContext,
  version: string | null,
  releaseDir: string | null,
  extra: Record<string, string>,
): NodeJS.ProcessEnv {
  return {
    ...base,
    ...extra,
    MARSHAL_SERVICE: target.service,
    MARSHAL_ENVIRONMENT: target.environment,
    MARSHAL_HOST: target.host.name,
    MARSHAL_VERSION: version ?? '',
    MARSHAL_RELEASE_DIR: releaseDir ?? '',
  };
}
