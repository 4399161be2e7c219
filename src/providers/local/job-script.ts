/**
 * The script a shell-pool worker runs for one job. A command must not change the worker: its
 * directory, variables and any shell state stay with it.
 *
 * - In general: `( cd DIR && export … && eval CMD ) </dev/null` — a subshell, and `eval` keeps a
 *   syntax error inside it, so the worker survives any command.
 * - A command with nothing for the shell to interpret but blanks (shell.ts) cannot have one and
 *   is written as it is: the subshell then execs its program in place instead of forking once
 *   more for it (`eval` would hide that it is the subshell's last command: ten `grep`s through
 *   two shells, 9.5–10.2 → 8.2–8.8 ms).
 * - When that command names a program rather than a builtin, nothing it does can change the
 *   worker, and the worker runs it without a subshell: `cd DIR && VAR=… PROGRAM ARGS </dev/null`,
 *   a vfork instead of a fork of the shell (W3 −3%, W2 −1%, interleaved runs). The worker keeps
 *   the directory, which the next job changes first.
 *
 * Then the exit status and the end of the output, as markers the pool reads (`token`).
 */
import { isAbsolute } from 'node:path';
import { shellQuote } from '../../model/template.js';
import { SHELL_BUILTINS, shellFreeArgv } from '../shell.js';

export interface JobCommand {
  command: string;
  cwd: string;
  /** Variables added to the worker's environment for this command only. */
  env: Record<string, string>;
}

export function jobScript(job: JobCommand, token: string): string {
  const names = Object.keys(job.env).filter((k) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(k));
  const assign = (k: string) => `${k}=${shellQuote(job.env[k] ?? '')}`;
  const markers = `printf '\\036%s %d\\n' ${token} "$?"\nprintf '\\036%s\\n' ${token} >&2\n`;
  const argv = shellFreeArgv(job.command);
  if (argv !== null && !SHELL_BUILTINS.has(argv[0] as string) && isAbsolute(job.cwd)) {
    const assignments = names.map((k) => `${assign(k)} `).join('');
    return `cd -- ${shellQuote(job.cwd)} && ${assignments}${argv.join(' ')} </dev/null\n${markers}`;
  }
  const exports = names.length === 0 ? '' : ` && export ${names.map(assign).join(' ')}`;
  const command = argv === null ? `eval ${shellQuote(job.command)}` : argv.join(' ');
  return `(cd -- ${shellQuote(job.cwd)}${exports} && ${command}\n) </dev/null\n${markers}`;
}
