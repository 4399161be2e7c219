/**
 * What `{{ … }}` can name. One definition serves config validation (unknown
 * names are errors before anything runs) and rendering at run time.
 */
import type { TemplateScope } from './template.js';

export interface ScopeInput {
  version: string;
  previous: string | null;
  service: string;
  environment: string;
  variables: Record<string, string>;
  host: { name: string; address: string; root: string; vars: Record<string, string> };
}

/** The names a template can use, with what each means (docs are generated from this). */
export const TEMPLATE_NAMES: Record<string, string> = {
  version: 'the version being deployed (in a rollback: the version restored)',
  previous: 'the version live on the target before this run (empty when none)',
  service: 'the service name',
  environment: 'the environment name',
  slot: 'blue-green and canary: the slot the new version runs in (`blue` or `green`); empty otherwise',
  port: 'the service port: the new slot’s for blue-green and canary, else `start.port`',
  'env.NAME':
    'a variable of the environment (`defaults.variables` merged with `environments.<env>.variables`)',
  'host.name': 'the host name',
  'host.address': 'where the host is reached: its `address`, or else its name (ssh) or 127.0.0.1 (local)',
  'host.root': 'the host deploy root',
  'host.NAME': 'a host variable (`vars:` of the host)',
};

export function templateScope(input: ScopeInput): TemplateScope {
  return {
    version: input.version,
    previous: input.previous ?? '',
    service: input.service,
    environment: input.environment,
    env: input.variables,
    host: { ...input.host.vars, name: input.host.name, address: input.host.address, root: input.host.root },
  };
}

/**
 * Why a placeholder cannot be resolved, or undefined when it can.
 * `variables` and `hostVars` are the names that will exist at run time.
 */
export function placeholderProblem(
  path: string,
  variables: ReadonlySet<string>,
  hostVars: ReadonlySet<string>,
): string | undefined {
  const [root, field, ...rest] = path.split('.');
  const simple = ['version', 'previous', 'service', 'environment', 'slot', 'port'];
  if (root !== undefined && simple.includes(root)) {
    return field === undefined ? undefined : `{{ ${path} }}: ${root} has no fields`;
  }
  if (root === 'env') {
    if (field === undefined || rest.length > 0) return `{{ ${path} }}: use {{ env.NAME }}`;
    return variables.has(field) ? undefined : `{{ ${path} }}: no variable "${field}" is defined`;
  }
  if (root === 'host') {
    if (field === undefined || rest.length > 0)
      return `{{ ${path} }}: use {{ host.name }} or {{ host.NAME }}`;
    if (field === 'name' || field === 'root' || field === 'address' || hostVars.has(field)) return undefined;
    return `{{ ${path} }}: no host variable "${field}" is defined`;
  }
  return `{{ ${path} }}: unknown name "${root}" (known: ${simple.join(', ')}, env.NAME, host.NAME)`;
}
