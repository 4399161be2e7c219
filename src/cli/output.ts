/**
 * How the CLI talks: a live view on a terminal, plain timestamped lines
 * otherwise, one JSON document with --json. Errors are printed once, as
 * `error[CODE]: message` and a hint; the stack only with --verbose.
 */
import { MarshalError, toMarshalError } from '../model/errors.js';

export interface GlobalOptions {
  file: string;
  store?: string;
  json: boolean;
  quiet: boolean;
  verbose: boolean;
}

export type OutputMode = 'live' | 'plain' | 'json';

const useColor = process.stdout.isTTY === true && process.env.NO_COLOR === undefined;

export const color = {
  bold: (s: string) => (useColor ? `\x1b[1m${s}\x1b[22m` : s),
  dim: (s: string) => (useColor ? `\x1b[2m${s}\x1b[22m` : s),
  red: (s: string) => (useColor ? `\x1b[31m${s}\x1b[39m` : s),
  green: (s: string) => (useColor ? `\x1b[32m${s}\x1b[39m` : s),
  yellow: (s: string) => (useColor ? `\x1b[33m${s}\x1b[39m` : s),
  cyan: (s: string) => (useColor ? `\x1b[36m${s}\x1b[39m` : s),
};

export function outputMode(options: GlobalOptions): OutputMode {
  if (options.json) return 'json';
  if (options.quiet || process.stderr.isTTY !== true) return 'plain';
  return 'live';
}

export function print(text = ''): void {
  process.stdout.write(`${text}\n`);
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export function timestamp(at: number): string {
  const d = new Date(at);
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

/** Prints an error once and returns the exit status it maps to. */
export function reportError(error: unknown, options: Pick<GlobalOptions, 'json' | 'verbose'>): number {
  const err = toMarshalError(error);
  if (options.json) {
    process.stdout.write(`${JSON.stringify({ error: err.toJSON() }, null, 2)}\n`);
  } else {
    const lines = [`${color.red(`error[${err.code}]`)}: ${err.message}`];
    const problems = err.details?.formatted;
    if (Array.isArray(problems)) for (const p of problems) lines.push(`  ${p}`);
    if (err.hint) lines.push(`${color.dim('hint:')} ${err.hint}`);
    if (options.verbose && err.stack)
      lines.push(color.dim(String(err.cause instanceof Error ? err.cause.stack : err.stack)));
    process.stderr.write(`${lines.join('\n')}\n`);
  }
  return err.exitCode;
}

/** Renders rows as aligned columns. */
export function table(rows: string[][], header?: string[]): string {
  const all = header ? [header, ...rows] : rows;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: strips ANSI colour codes to measure width
  const visible = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, '').length;
  const widths: number[] = [];
  for (const row of all) {
    row.forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? 0, visible(cell));
    });
  }
  const line = (row: string[]) =>
    row
      .map((cell, i) => (i === row.length - 1 ? cell : cell + ' '.repeat((widths[i] ?? 0) - visible(cell))))
      .join('  ')
      .trimEnd();
  const out = all.map(line);
  if (header) out[0] = color.bold(out[0] as string);
  return out.join('\n');
}

export function argumentError(message: string, hint?: string): MarshalError {
  return new MarshalError('ARGUMENT_INVALID', message, hint ? { hint } : {});
}
