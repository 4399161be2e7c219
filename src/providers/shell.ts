/**
 * Deciding whether a command needs a shell. GNU make execs simple commands
 * directly and so saves a fork+exec of /bin/sh per command; we do the same,
 * but only when the result is guaranteed to be what `/bin/sh -c` would do.
 */

/**
 * Characters that make the shell do something beyond splitting on blanks:
 * quoting, expansion, globbing, redirection, pipes, lists, comments, history.
 * `=` is handled separately (it only matters in the first word).
 */
const SHELL_CHARS = /["'`$\\|&;<>()*?[\]{}~#!\n\r]/;

/**
 * First words the shell treats itself: reserved words, special built-ins and
 * built-ins that act on the shell's own state (exec'ing a binary of the same
 * name — if one exists — would do something else or nothing).
 */
const SHELL_WORDS = new Set([
  // reserved words
  '!',
  '{',
  '}',
  'case',
  'do',
  'done',
  'elif',
  'else',
  'esac',
  'fi',
  'for',
  'if',
  'in',
  'then',
  'until',
  'while',
  // bash's, where /bin/sh is bash: malformed, they would be a syntax error of the worker itself
  'coproc',
  'function',
  'select',
  // special built-ins
  '.',
  ':',
  'break',
  'continue',
  'eval',
  'exec',
  'exit',
  'export',
  'readonly',
  'return',
  'set',
  'shift',
  'times',
  'trap',
  'unset',
  // built-ins acting on the shell itself
  'alias',
  'bg',
  'cd',
  'command',
  'fc',
  'fg',
  'getopts',
  'hash',
  'jobs',
  'local',
  'read',
  'source',
  'type',
  'ulimit',
  'umask',
  'unalias',
  'wait',
]);

/**
 * Builtins of dash and of bash (where /bin/sh is bash): run by the shell itself, some of them
 * change it (`shopt`, `enable`, `printf -v`…). Anything else a shell-free command can name is a
 * program, which the shell forks for.
 */
export const SHELL_BUILTINS = new Set([
  ...SHELL_WORDS,
  '[',
  'bind',
  'builtin',
  'caller',
  'chdir',
  'compgen',
  'complete',
  'compopt',
  'declare',
  'dirs',
  'disown',
  'echo',
  'enable',
  'false',
  'help',
  'history',
  'kill',
  'let',
  'logout',
  'mapfile',
  'popd',
  'printf',
  'pushd',
  'pwd',
  'readarray',
  'shopt',
  'suspend',
  'test',
  'true',
  'typeset',
]);

/**
 * The argv to spawn directly for `command`, or null when it needs `/bin/sh -c`.
 * Without metacharacters, the shell would only split on blanks and look the
 * first word up in PATH — which spawning argv does too.
 */
export function shellFreeArgv(command: string): string[] | null {
  if (SHELL_CHARS.test(command)) return null;
  const argv = command.split(/[ \t]+/).filter((word) => word !== '');
  const first = argv[0];
  if (first === undefined) return null;
  // `NAME=value cmd` is an assignment; after the command name `=` is literal.
  if (first.includes('=')) return null;
  if (SHELL_WORDS.has(first)) return null;
  return argv;
}

/**
 * `rmtree PATH…`, a shell function the local shells and the SSH scripts both define: rm -rf, and
 * for a tree with directories their owner cannot write (a read-only artifact: Bazel's and Nix's
 * outputs are), the same once those are opened up.
 */
export const RMTREE =
  'rmtree() { rm -rf -- "$@" 2>/dev/null || { chmod -R u+rwX -- "$@" 2>/dev/null; rm -rf -- "$@"; }; }';

/** The command shortened for messages: first line only, at most `max` characters. */
export function shortCommand(command: string, max = 200): string {
  const oneLine = command.trim().replace(/\s*\n[\s\S]*$/, ' …');
  return oneLine.length <= max ? oneLine : `${oneLine.slice(0, max)}…`;
}
