/**
 * The command-line reference (docs/cli.md), generated from the commander
 * program `createProgram()` builds and from {@link ERROR_CODES}, so it cannot
 * drift from the CLI: scripts/gen-docs.mjs writes it and a test keeps the
 * committed copy current. It walks commander's public API (commands,
 * options, registered arguments, descriptions, usage), never its help text.
 */
import type { Argument, Command, Option } from 'commander';
import { ERROR_CODES, type ErrorCodeInfo } from '../model/errors.js';
import { exitCodeForRunState, RUN_STATES } from '../model/run.js';
import { createProgram } from './main.js';

/**
 * What each positional argument means, by name (`name?` when optional).
 * The program declares arguments in the command name (`deploy <env>`), which
 * carries no description; an argument missing here stops the generator.
 */
const ARGUMENTS: Record<string, string> = {
  env: 'an environment of the config (a key of `environments:`)',
  'env?': 'only this environment; every environment when omitted',
  run: 'a run id from `marshal history` (`12` or `#12`), or `last` for the newest run',
};

/** What each exit status means and what to do about it; a status missing here stops the generator. */
const EXIT_STATUSES: Record<number, { meaning: string; action: string }> = {
  0: { meaning: 'succeeded (or nothing to do)', action: '—' },
  1: {
    meaning:
      'the run failed and was rolled back cleanly, or failed with `--no-rollback`; `audit verify` found the chain broken',
    action: 'read `marshal show <run>` and `marshal logs <run>`; fix, then deploy again',
  },
  2: {
    meaning: 'invalid input: config, arguments, unknown run, wrong state; nothing was changed',
    action: 'read the message; `marshal validate` re-checks the config',
  },
  3: {
    meaning: 'the rollback failed or is incomplete: targets may be on mixed versions',
    action: 'a person must look: `marshal show <run>`, `marshal status`; fix, then `marshal rollback <env>`',
  },
  4: {
    meaning: 'blocked: another run holds the environment lock, or the run is `waiting`',
    action: 'wait for it, or pass `--wait` to queue behind it',
  },
  70: { meaning: 'internal error: a bug in Marshal', action: 'report it with the `--verbose` output' },
  130: {
    meaning: 'interrupted (Ctrl-C, SIGTERM, `marshal cancel`); the run stays resumable',
    action: '`marshal resume <run>`',
  },
};

/** What a command's one-line option descriptions cannot say, printed below its tables (by command path). */
const NOTES: Record<string, string> = {
  logs:
    '`--step` takes a step id (`api/dev-app-1/health`) or a path of whole segments: a service ' +
    '(`api` or `api/`) selects every step of that service, a target (`api/dev-app-1`) every step on ' +
    'that host, their rollback steps (`rollback/api/…`) included; `rollback/` selects every rollback ' +
    'step. `api` does not select `api2/…`, nor `api/h1` `api/h10/…`. A `--step` that matches no step ' +
    'of the run is an error (exit 2).',
};

const code = (text: string) => `\`${text.replaceAll('`', "'")}\``;

/**
 * Text made safe for a table cell: `|` escaped (in code spans too, as GFM
 * wants) and, outside code spans, `<` and `>` so `<file>` is not read as HTML.
 */
function cell(text: string): string {
  return text
    .split('`')
    .map((part, i) => (i % 2 === 1 ? part : part.replaceAll('<', '&lt;').replaceAll('>', '&gt;')))
    .join('`')
    .replaceAll('|', '\\|')
    .replaceAll('\n', ' ');
}

/** A command's description as a sentence. */
function sentence(text: string): string {
  const capital = text.charAt(0).toUpperCase() + text.slice(1);
  return /[.!?]$/.test(capital) ? capital : `${capital}.`;
}

/** Every command under `program`, depth first, in the order they were declared. */
function allCommands(program: Command): Command[] {
  return program.commands.flatMap((c) => [c, ...allCommands(c)]);
}

/** `audit verify` for the `verify` subcommand of `audit`. */
function commandPath(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c?.parent; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

/** The anchor GitHub gives a heading. */
function anchor(heading: string): string {
  return heading
    .toLowerCase()
    .replace(/[^a-z0-9 -]/g, '')
    .replaceAll(' ', '-');
}

function defaultOf(option: Option): string {
  if (option.defaultValueDescription !== undefined) return option.defaultValueDescription;
  if (option.defaultValue === undefined) return '';
  return code(JSON.stringify(option.defaultValue));
}

function optionTable(options: readonly Option[]): string[] {
  const visible = options.filter((o) => !o.hidden);
  if (visible.length === 0) return [];
  return [
    '| option | description | default |',
    '| --- | --- | --- |',
    ...visible.map((o) => `| ${cell(code(o.flags))} | ${cell(o.description)} | ${cell(defaultOf(o))} |`),
  ];
}

function argumentText(argument: Argument, where: string): string {
  const name = argument.name();
  const text =
    argument.description ||
    (argument.required ? undefined : ARGUMENTS[`${name}?`]) ||
    ARGUMENTS[name] ||
    undefined;
  if (text === undefined) throw new Error(`no description for argument <${name}> of \`marshal ${where}\``);
  return text;
}

function argumentTable(cmd: Command): string[] {
  const args = cmd.registeredArguments;
  if (args.length === 0) return [];
  return [
    '| argument | required | description |',
    '| --- | --- | --- |',
    ...args.map(
      (a) =>
        `| ${code(a.name() + (a.variadic ? '...' : ''))} | ${a.required ? 'yes' : 'no'} | ${cell(argumentText(a, commandPath(cmd)))} |`,
    ),
  ];
}

function commandSection(cmd: Command): string[] {
  const path = commandPath(cmd);
  const lines = [`### marshal ${path}`, '', '```', `marshal ${path} ${cmd.usage()}`.trimEnd(), '```', ''];
  if (cmd.description()) lines.push(sentence(cmd.description()), '');
  if (cmd.commands.length > 0) {
    lines.push('Subcommands:', '');
    for (const sub of cmd.commands) {
      const subPath = `marshal ${commandPath(sub)}`;
      lines.push(`- [\`${subPath}\`](#${anchor(subPath)}) — ${sub.description()}`);
    }
    lines.push('');
  }
  for (const table of [argumentTable(cmd), optionTable(cmd.options)]) {
    if (table.length > 0) lines.push(...table, '');
  }
  const note = NOTES[path];
  if (note !== undefined) lines.push(note, '');
  return lines;
}

function exitTable(): string[] {
  const codes = Object.entries(ERROR_CODES) as [string, ErrorCodeInfo][];
  const statuses = new Set<number>([0, ...codes.map(([, info]) => info.exit)]);
  for (const state of RUN_STATES) statuses.add(exitCodeForRunState(state));
  const rows = [...statuses]
    .sort((a, b) => a - b)
    .map((status) => {
      const about = EXIT_STATUSES[status];
      if (about === undefined) throw new Error(`exit status ${status} has no meaning in EXIT_STATUSES`);
      const states = RUN_STATES.filter((s) => exitCodeForRunState(s) === status).map(code);
      const errors = codes.filter(([, info]) => info.exit === status).map(([name]) => code(name));
      return `| ${status} | ${cell(about.meaning)} | ${cell(about.action)} | ${states.join(', ')} | ${errors.join(', ')} |`;
    });
  return [
    '| status | meaning | what to do | run ended in state | error codes |',
    '| --- | --- | --- | --- | --- |',
    ...rows,
  ];
}

function errorTable(): string[] {
  return [
    '| code | exit status | retryable | default hint |',
    '| --- | --- | --- | --- |',
    ...(Object.entries(ERROR_CODES) as [string, ErrorCodeInfo][]).map(
      ([name, info]) =>
        `| ${code(name)} | ${info.exit} | ${info.retryable ? 'yes' : 'no'} | ${info.hint ? cell(info.hint) : ''} |`,
    ),
  ];
}

/** The markdown of docs/cli.md, built from `createProgram()` and the error codes. */
export function cliReferenceMarkdown(): string {
  const program = createProgram();
  const commands = allCommands(program);
  const lockHint = ERROR_CODES.LOCK_HELD.hint;
  const lines = [
    '# marshal command line',
    '',
    '<!-- Generated from src/cli/main.ts and src/model/errors.ts by scripts/gen-docs.mjs; do not edit by hand. -->',
    '',
    `${program.description()}`,
    '',
    '```',
    `marshal ${program.usage()}`,
    '```',
    '',
    '`marshal help <command>` (or `marshal <command> --help`) prints the help of one command. ' +
      'Running Marshal day to day — where state lives, locks, resuming, backups — is in [operations.md](operations.md); ' +
      'the config file is in [config-reference.md](config-reference.md).',
    '',
    '## Contents',
    '',
    '- [Global options](#global-options)',
    '- [Output](#output)',
    '- [Commands](#commands)',
    ...commands.map((c) => `  - [marshal ${commandPath(c)}](#${anchor(`marshal ${commandPath(c)}`)})`),
    '- [Exit codes](#exit-codes)',
    '- [Error codes](#error-codes)',
    '',
    '## Global options',
    '',
    'Accepted before or after the command name (`marshal --json status` and `marshal status --json` are the same).',
    '',
    ...optionTable(program.options),
    '',
    '## Output',
    '',
    '| where output goes | what you get |',
    '| --- | --- |',
    '| a terminal (stderr is a TTY) | a live view: the steps of the run graph with their state, elapsed time, batches done/total |',
    '| not a terminal, or `--quiet` | plain timestamped lines, one per event, suitable for CI logs |',
    '| `--json` | one JSON document on stdout, printed when the command ends; an error — a malformed command line too — is `{"error": {"code": …, "message": …, "hint": …}}` |',
    '',
    'Colour is off when stdout is not a terminal or `NO_COLOR` is set.',
    '',
    'Without `--json`, an error is printed once, on stderr, as `error[CODE]: message`, followed by a hint when there is one; ' +
      'the stack trace only with `--verbose`. A malformed command line (an unknown option, a missing argument or command) ' +
      'is `ARGUMENT_INVALID`, exit 2. For example:',
    '',
    '```',
    'error[LOCK_HELD]: dev is locked by run #7 (alice@build-1, pid 4242 on build-1, for 12s)',
    `hint: ${lockHint}`,
    '```',
    '',
    '## Commands',
    '',
  ];
  for (const cmd of commands) lines.push(...commandSection(cmd));
  lines.push(
    '## Exit codes',
    '',
    'Deploy, rollback and resume exit with the status of the state the run ended in; any other failure exits with the status of its error code.',
    '',
    ...exitTable(),
    '',
    '## Error codes',
    '',
    'Every error Marshal reports carries one of these codes (`error[CODE]` on stderr, `error.code` with `--json`). ' +
      'A retryable code lets a failed step be retried by its `retry:` policy.',
    '',
    ...errorTable(),
    '',
  );
  return lines.join('\n');
}
