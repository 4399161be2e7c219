import { describe, expect, it } from 'vitest';
import { placeholderProblem } from './scope.js';
import { placeholders, render, shellQuote, TemplateError, templateSyntaxError } from './template.js';

describe('templates', () => {
  const scope = { version: 'v2', env: { NAME: "it's $(danger)" }, host: { name: 'h1' } };

  it('substitutes values, quoting them in shell commands so they stay one word', () => {
    expect(render('deploy {{ version }} to {{host.name}}', scope)).toBe('deploy v2 to h1');
    expect(render('echo {{ env.NAME }}', scope, 'shell')).toBe(`echo 'it'\\''s $(danger)'`);
    expect(shellQuote('')).toBe("''");
    expect(shellQuote('a/b-c.d:1')).toBe('a/b-c.d:1');
  });

  it('throws on an unknown value and reports malformed placeholders', () => {
    expect(() => render('{{ nope }}', scope)).toThrow(TemplateError);
    expect(templateSyntaxError('{{ version }')).toMatch(/malformed/);
    expect(templateSyntaxError('a {{ version }} b')).toBeUndefined();
    expect(placeholders('{{ a }} {{ b.c }}')).toEqual(['a', 'b.c']);
  });

  it('explains placeholders that cannot resolve', () => {
    const vars = new Set(['PORT']);
    const hostVars = new Set(['zone']);
    expect(placeholderProblem('env.PORT', vars, hostVars)).toBeUndefined();
    expect(placeholderProblem('env.PROT', vars, hostVars)).toMatch(/no variable "PROT"/);
    expect(placeholderProblem('host.zone', vars, hostVars)).toBeUndefined();
    expect(placeholderProblem('host.rack', vars, hostVars)).toMatch(/no host variable "rack"/);
    expect(placeholderProblem('verison', vars, hostVars)).toMatch(/unknown name "verison"/);
    expect(placeholderProblem('version.major', vars, hostVars)).toMatch(/has no fields/);
  });
});
