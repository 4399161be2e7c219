/**
 * How values enter the ssh provider's remote scripts: every value in exactly one place, the
 * `name=value` header built by {@link assign}, quoted with shellQuote; script bodies only read
 * `"$name"`, so no value can change a script's meaning.
 */
import { MarshalError } from '../../model/errors.js';
import { shellQuote } from '../../model/template.js';

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** `a=1 b='x y'`: the one place values are quoted. */
export function assign(values: Record<string, string>): string {
  return Object.entries(values)
    .map(([name, value]) => `${checkedName(name)}=${shellQuote(value)}`)
    .join(' ');
}

function checkedName(name: string): string {
  if (!NAME.test(name)) {
    throw new MarshalError('PROVIDER_ERROR', `"${name}" is not a valid environment variable name`, {
      retryable: false,
    });
  }
  return name;
}

/** `export A='1' …`, then names whose value the script computed itself. */
export function exportLine(env: Record<string, string>, computed: readonly string[]): string {
  const parts = [assign(env), ...computed].filter((p) => p !== '');
  return `export ${parts.join(' ')}`;
}

/** Facts every command and process gets, as the local provider gives them. */
export interface CommandFacts {
  service: string;
  environment: string;
  host: string;
}

export function marshalEnv(facts: CommandFacts): Record<string, string> {
  return {
    MARSHAL_SERVICE: facts.service,
    MARSHAL_ENVIRONMENT: facts.environment,
    MARSHAL_HOST: facts.host,
  };
}
