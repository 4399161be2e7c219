import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../model/errors.js';
import { createProgram } from './main.js';
import { cliReferenceMarkdown } from './reference.js';

// vitest runs from the repository root.
const repo = process.cwd();

/** The commands of SPEC.md's "Command line" block (some are not built yet). */
const SPEC_COMMANDS = [
  'init',
  'validate',
  'plan',
  'deploy',
  'promote',
  'approve',
  'reject',
  'status',
  'history',
  'show',
  'logs',
  'diff',
  'rollback',
  'resume',
  'cancel',
  'audit',
  'server',
  'worker',
];

/** Commands that exist today and must be documented. */
const REQUIRED = [
  'init',
  'validate',
  'plan',
  'deploy',
  'status',
  'history',
  'show',
  'logs',
  'rollback',
  'resume',
  'cancel',
  'audit',
];

function section(md: string, path: string): string {
  const start = md.indexOf(`\n### marshal ${path}\n`);
  expect(start, `section for marshal ${path}`).toBeGreaterThan(-1);
  const end = md.indexOf('\n### ', start + 1);
  const next = md.indexOf('\n## ', start + 1);
  return md.slice(start, Math.min(...[end, next].filter((i) => i > -1)));
}

describe('generated docs', () => {
  it('keeps docs/cli.md current (regenerate with `npm run docs`)', () => {
    expect(readFileSync(join(repo, 'docs/cli.md'), 'utf8')).toBe(cliReferenceMarkdown());
  });
});

describe('cliReferenceMarkdown', () => {
  const md = cliReferenceMarkdown();
  const program = createProgram();

  it('documents every command of the spec that the program has', () => {
    const names = program.commands.map((c) => c.name());
    for (const name of REQUIRED) expect(names).toContain(name);
    for (const name of SPEC_COMMANDS.filter((n) => names.includes(n))) section(md, name);
    section(md, 'audit verify');
  });

  it('gives each command its usage line, description, arguments and options', () => {
    const walk = (cmd: Command, prefix: string): void => {
      for (const sub of cmd.commands) {
        const path = `${prefix}${sub.name()}`;
        const text = section(md, path);
        expect(text).toContain(`\n\`\`\`\nmarshal ${path} ${sub.usage()}\n\`\`\`\n`);
        expect(text.toLowerCase()).toContain(sub.description().toLowerCase());
        for (const arg of sub.registeredArguments) expect(text).toContain(`| \`${arg.name()}\` |`);
        for (const option of sub.options)
          expect(text).toContain(`| \`${option.flags.replaceAll('|', '\\|')}\` |`);
        walk(sub, `${path} `);
      }
    };
    walk(program, '');
    expect(section(md, 'history')).toContain('| `--limit <n>` | how many | `20` |');
    expect(section(md, 'deploy')).toContain('| `env` | yes | an environment of the config');
    expect(section(md, 'status')).toContain('| `env` | no | only this environment');
  });

  it('lists the global options and the output modes', () => {
    for (const option of program.options) expect(md).toContain(`| \`${option.flags}\` |`);
    expect(md).toContain('| `-f, --file <path>` | config file | `"marshal.yaml"` |');
    expect(md).toContain('error[CODE]: message');
    expect(md).toMatch(/--quiet.*plain timestamped lines/);
  });

  it('has the exit-code and error-code tables from ERROR_CODES', () => {
    for (const status of [0, 1, 2, 3, 4, 70, 130]) expect(md).toMatch(new RegExp(`\\n\\| ${status} \\| `));
    for (const [name, info] of Object.entries(ERROR_CODES)) {
      expect(md).toContain(`| \`${name}\` | ${info.exit} | ${info.retryable ? 'yes' : 'no'} |`);
    }
    expect(md).toMatch(/\n\| 3 \| .*`rollback_failed` \| `ROLLBACK_FAILED` \|\n/);
  });
});
