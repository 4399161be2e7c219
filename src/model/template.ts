/**
 * `{{ path }}` substitution. There is no logic in templates on purpose: a
 * value is looked up by a dotted path and, inside shell commands, quoted so
 * that no value can change the command's meaning.
 */

const PLACEHOLDER = /\{\{\s*([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_-]*)*)\s*\}\}/g;
const UNCLOSED = /\{\{(?![^{}]*\}\})/;

/** Values visible to templates: `{{ version }}`, `{{ env.X }}`, `{{ host.name }}`… */
export interface TemplateScope {
  [key: string]: string | TemplateScope | undefined;
}

export type Escape = 'shell' | 'none';

/** Characters that never need quoting in a POSIX shell word. */
const SHELL_SAFE = /^[A-Za-z0-9_@%+=:,./-]+$/;

/** Quotes a value as one POSIX shell word. */
export function shellQuote(value: string): string {
  if (value !== '' && SHELL_SAFE.test(value)) return value;
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** The placeholders a template uses, in order, e.g. `['version', 'env.PORT']`. */
export function placeholders(template: string): string[] {
  return [...template.matchAll(PLACEHOLDER)].map((m) => m[1] as string);
}

/** A problem in a template's syntax (an unclosed `{{`), or undefined. */
export function templateSyntaxError(template: string): string | undefined {
  const withoutValid = template.replace(PLACEHOLDER, '');
  if (UNCLOSED.test(withoutValid) || withoutValid.includes('}}')) {
    return 'malformed placeholder: use {{ name }} or {{ name.field }}';
  }
  return undefined;
}

export function lookup(scope: TemplateScope, path: string): string | undefined {
  let current: string | TemplateScope | undefined = scope;
  for (const part of path.split('.')) {
    if (current === undefined || typeof current === 'string') return undefined;
    current = current[part];
  }
  return typeof current === 'string' ? current : undefined;
}

export class TemplateError extends Error {
  constructor(
    readonly placeholder: string,
    readonly template: string,
  ) {
    super(`unknown value {{ ${placeholder} }}`);
    this.name = 'TemplateError';
  }
}

/** Substitutes every placeholder; throws TemplateError on a value not in scope. */
export function render(template: string, scope: TemplateScope, quoting: Escape = 'none'): string {
  if (!template.includes('{{')) return template;
  return template.replace(PLACEHOLDER, (_match, path: string) => {
    const value = lookup(scope, path);
    if (value === undefined) throw new TemplateError(path, template);
    return quoting === 'shell' ? shellQuote(value) : value;
  });
}
