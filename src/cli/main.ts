/**
 * `marshal` entry point: parses arguments and hands each command to its
 * module, imported only when used so start-up stays fast.
 */
import { Command, CommanderError, Option } from 'commander';
import { MarshalError } from '../model/errors.js';
import { didYouMean } from '../model/suggest.js';
import { type GlobalOptions, reportError } from './output.js';

type Action = (globals: GlobalOptions, ...args: never[]) => Promise<number>;

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

function positiveInt(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1)
      throw new MarshalError('ARGUMENT_INVALID', `${name} must be a positive integer, got "${value}"`);
    return n;
  };
}

/**
 * Builds the `marshal` program: every command, option and description. No
 * side effects and no parsing — `main` parses with it, and the CLI reference
 * (docs/cli.md, src/cli/reference.ts) is generated from it.
 *
 * @param onExitCode - told the exit status a command's action returns.
 */
export function createProgram(onExitCode: (code: number) => void = () => {}): Command {
  const program = new Command('marshal')
    .description('Deploy services across environments in dependency order, with rollback and history.')
    .option('-f, --file <path>', 'config file', 'marshal.yaml')
    .option(
      '--store <spec>',
      'state store: sqlite:PATH (default .marshal/state.db beside the config) — also MARSHAL_STORE',
    )
    .option('--json', 'machine-readable output: one JSON document on stdout', false)
    .option('-q, --quiet', 'plain lines, no live view', false)
    .option('-v, --verbose', 'more detail, stacks on errors', false)
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({ writeErr: () => {} });

  const globals = () => program.opts<GlobalOptions>();
  const use =
    (load: () => Promise<{ run: Action }>) =>
    async (...args: unknown[]) => {
      const mod = await load();
      const code = await (mod.run as (g: GlobalOptions, ...a: unknown[]) => Promise<number>)(
        globals(),
        ...args.slice(0, -1),
      );
      onExitCode(code);
    };
  const deployOptions = (cmd: Command) =>
    cmd
      .option('--set <svc=ver>', 'desired version of a service (repeatable)', collect)
      .option('--version <ver>', 'desired version of every selected service without --set')
      .option('--services <a,b>', 'only these services')
      .option('--force', 'also redeploy (and restart) targets that already run the version', false);

  program
    .command('init')
    .description('write a commented starter marshal.yaml')
    .action(use(() => import('./commands/init.js')));
  program
    .command('validate')
    .description('check the config; print problems with file:line')
    .action(use(() => import('./commands/validate.js')));
  deployOptions(program.command('plan <env>').description('show what a deploy would do'))
    .addOption(new Option('--concurrency <n>', 'most steps at once').argParser(positiveInt('--concurrency')))
    .action(use(() => import('./commands/plan.js')));
  deployOptions(program.command('deploy <env>').description('deploy to an environment'))
    .option('--wait', 'wait for the environment lock instead of failing', false)
    .option('--no-rollback', 'leave targets as they failed')
    .option('--reason <text>', 'why: kept in the history')
    .addOption(new Option('--concurrency <n>', 'most steps at once').argParser(positiveInt('--concurrency')))
    .action(use(() => import('./commands/deploy.js')));
  program
    .command('status [env]')
    .description('live version per service; active runs')
    .option('--probe', 'look at what really runs on each target and show where it differs', false)
    .action(use(() => import('./commands/status.js')));
  program
    .command('history [env]')
    .description('past runs, newest first')
    .addOption(new Option('--limit <n>', 'how many').argParser(positiveInt('--limit')).default(20))
    .action(use(() => import('./commands/history.js')));
  program
    .command('show <run>')
    .description('a run: steps, timings, outcome')
    // 200: STEP_LIST_LIMIT in render/run.ts (not imported here: main loads only what every command needs).
    .option('--all', 'list every step; past 200 a section is summarised per service', false)
    .action(use(() => import('./commands/show.js')));
  program
    .command('logs <run>')
    .description("a run's output")
    .option('--step <id>', 'only this step, or the steps under a path: a service (api) or a target (api/h1)')
    .option('--follow', 'keep printing until the run ends', false)
    .action(use(() => import('./commands/logs.js')));
  program
    .command('rollback <env>')
    .description('redeploy an earlier release')
    .option('--to <run|version>', 'a succeeded run (#12) or a version; default: the previous release')
    .option('--services <a,b>', 'only these services')
    .option('--wait', 'wait for the environment lock instead of failing', false)
    .option('--reason <text>', 'why: kept in the history')
    .action(use(() => import('./commands/rollback.js')));
  program
    .command('resume <run>')
    .description('continue an interrupted run')
    .option('--wait', 'wait for the environment lock instead of failing', false)
    .action(use(() => import('./commands/resume.js')));
  program
    .command('approve <run>')
    .description(
      'answer yes to a run waiting for a person (a manual promotion, an inconclusive analysis) and continue it',
    )
    .option('--reason <text>', 'why: kept in the history')
    .action(use(() => import('./commands/approve.js')));
  program
    .command('reject <run>')
    .description('answer no to a run waiting for a person: it rolls back')
    .option('--reason <text>', 'why: kept in the history')
    .action(use(async () => ({ run: (await import('./commands/approve.js')).reject })));
  program
    .command('cancel <run>')
    .description('stop a run (it stays resumable)')
    .action(use(() => import('./commands/cancel.js')));
  program
    .command('audit')
    .description('audit the event log')
    .command('verify')
    .description('check the hash chain of every event')
    .action(use(() => import('./commands/audit.js')));

  // A command that only groups others (`marshal`, `marshal audit`) given none of them: commander
  // prints its help on stderr — silenced above — and exits 0, so nothing said what was wrong.
  for (const cmd of [program, ...program.commands].filter((c) => c.commands.length > 0)) {
    cmd.exitOverride((error) => {
      if (error.code === 'commander.help' && error.exitCode !== 0) {
        const names = cmd.commands.map((c) => c.name());
        // `marshal help bogus` ends here too.
        const asked = cmd.args[0] === 'help' ? cmd.args[1] : undefined;
        if (asked !== undefined)
          throw new MarshalError('ARGUMENT_INVALID', `unknown command '${asked}'${didYouMean(asked, names)}`);
        const path = ['marshal', ...(cmd === program ? [] : [cmd.name()])].join(' ');
        throw new MarshalError('ARGUMENT_INVALID', `${path} needs a command: ${names.join(', ')}`);
      }
      throw error;
    });
  }
  return program;
}

/** Runs the CLI with `argv` (without `node` and the script) and returns the exit status. */
export async function main(argv: string[]): Promise<number> {
  // A reader that goes away (\`marshal deploy … | head\`) must not kill a run half-way: output stops, the run goes on.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE') throw error;
    });
  }
  let exitCode = 0;
  const program = createProgram((code) => {
    exitCode = code;
  });
  try {
    await program.parseAsync(argv, { from: 'user' });
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (
        error.code === 'commander.helpDisplayed' ||
        error.code === 'commander.version' ||
        error.code === 'commander.help'
      )
        return 0;
      // Commander's suggestion, on a line of its own, in the words of Marshal's other suggestions.
      const message = error.message
        .replace(/^error: /, '')
        .replace(/\n\(Did you mean (.+)\?\)$/, ' — did you mean $1?');
      // Options may not have been parsed: look for --json in the raw arguments.
      return reportError(new MarshalError('ARGUMENT_INVALID', message), {
        json: argv.includes('--json'),
        verbose: false,
      });
    }
    const opts = program.opts<GlobalOptions>();
    return reportError(error, { json: opts.json === true, verbose: opts.verbose === true });
  }
}
