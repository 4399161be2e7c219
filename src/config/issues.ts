/**
 * Zod issues → problems a person understands. Zod's own messages speak of
 * "Invalid input"; here every issue says what was expected, what was found,
 * and, for misspellings, what was probably meant.
 */
import type { z } from 'zod';
import type { ConfigProblem } from '../model/project.js';
import { didYouMean } from '../model/suggest.js';
import { problemAt, scalarText } from './locate.js';
import { allowedKeysAt, valueAt } from './schema-walk.js';
import type { ConfigPath, SourceFile } from './yaml-source.js';

type Issue = z.core.$ZodIssue;

interface Context {
  source: SourceFile;
  schema: z.ZodType;
  data: unknown;
}

/** Turns a failed safeParse of `data` (read from `source`) into located problems. */
export function zodProblems(
  source: SourceFile,
  schema: z.ZodType,
  error: z.ZodError,
  data: unknown,
): ConfigProblem[] {
  const ctx: Context = { source, schema, data };
  return error.issues.flatMap((issue) => convert(ctx, issue as Issue, []));
}

const EXPECTED: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  array: 'a list',
  object: 'a map',
  record: 'a map',
  null: 'nothing',
};

/** How a value reads in a message: `a string`, `a list`, `nothing`. */
export function describeValue(value: unknown): string {
  if (value === null || value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a map';
  if (typeof value === 'boolean') return `a boolean (${value})`;
  if (typeof value === 'number') return `a number (${value})`;
  return `a ${typeof value}`;
}

function show(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}

function convert(ctx: Context, issue: Issue, base: ConfigPath): ConfigProblem[] {
  const path = [...base, ...issue.path.filter((p): p is string | number => typeof p !== 'symbol')];
  const value = valueAt(ctx.data, path);
  const at = (message: string, key = false): ConfigProblem => problemAt(ctx.source, path, message, { key });
  switch (issue.code) {
    case 'unrecognized_keys': {
      const allowed = allowedKeysAt(ctx.schema, path, ctx.data);
      return issue.keys.map((key) => {
        const hint =
          didYouMean(key, allowed) || (allowed.length > 0 ? ` (allowed: ${allowed.join(', ')})` : '');
        return problemAt(ctx.source, [...path, key], `unknown key "${key}"${hint}`, { key: true });
      });
    }
    case 'invalid_type':
      return [at(invalidType(ctx, issue.expected, value, path))];
    case 'invalid_union':
      return invalidUnion(ctx, issue, path, value);
    case 'invalid_value': {
      const allowed = issue.values.map((v) => show(v));
      const expected = allowed.length === 1 ? allowed[0] : `one of ${allowed.join(', ')}`;
      const hint = typeof value === 'string' ? didYouMean(value, issue.values.map(String)) : '';
      return [
        at(
          `expected ${expected}, got ${typeof value === 'string' ? show(value) : describeValue(value)}${hint}`,
        ),
      ];
    }
    case 'invalid_format': {
      // Messages written in the schema ("must be a name: …") are kept; zod's generic ones are replaced.
      const own = !issue.message.startsWith('Invalid');
      const text = own ? issue.message : `must match ${issue.pattern ?? issue.format}`;
      return [at(`${text} (got ${show(value)})`)];
    }
    case 'too_small':
    case 'too_big':
      return [at(sizeMessage(issue, value))];
    case 'invalid_key': {
      const key = path[path.length - 1];
      const inner = issue.issues.map((i) =>
        i.message.startsWith('Invalid') ? 'not allowed here' : i.message,
      );
      return [at(`invalid name ${show(key)}: ${inner.join('; ')}`, true)];
    }
    default:
      return [at(issue.message)];
  }
}

function invalidType(ctx: Context, expected: string, value: unknown, path: ConfigPath): string {
  const last = path[path.length - 1];
  if (value === undefined && typeof last === 'string') return `missing required key "${last}"`;
  const want = EXPECTED[expected] ?? expected;
  let message = `expected ${want}, got ${describeValue(value)}`;
  // YAML turns `1.10` into the number 1.1; quoting keeps the text as written.
  if (expected === 'string' && (typeof value === 'number' || typeof value === 'boolean')) {
    const text = scalarText(ctx.source, path) ?? String(value);
    message += ` — quote it: "${text}"`;
  }
  return message;
}

function sizeMessage(issue: z.core.$ZodIssueTooSmall | z.core.$ZodIssueTooBig, value: unknown): string {
  const small = issue.code === 'too_small';
  const limit = Number(
    small ? (issue as z.core.$ZodIssueTooSmall).minimum : (issue as z.core.$ZodIssueTooBig).maximum,
  );
  const inclusive = issue.inclusive !== false;
  if (issue.origin === 'string') {
    if (small && limit === 1) return 'must not be empty';
    return `must be at ${small ? 'least' : 'most'} ${limit} characters long`;
  }
  if (issue.origin === 'array') {
    return `needs at ${small ? 'least' : 'most'} ${limit} item${limit === 1 ? '' : 's'}, got ${Array.isArray(value) ? value.length : 0}`;
  }
  const relation = small ? (inclusive ? 'at least' : 'greater than') : inclusive ? 'at most' : 'less than';
  return `must be ${relation} ${limit}, got ${show(value)}`;
}

type UnionIssue = Extract<Issue, { code: 'invalid_union' }>;

/** A branch whose value had the wrong type at the union's own level is implausible. */
function branchScore(issues: readonly Issue[], value: unknown): number {
  let score = 0;
  for (const issue of issues) {
    if (issue.path.length === 0) {
      const typeMismatch =
        issue.code === 'invalid_type' ||
        (issue.code === 'invalid_value' && !issue.values.some((v) => typeof v === typeof value)) ||
        (issue.code === 'invalid_union' && issue.errors.every((b) => branchScore(b, value) === 0));
      score = Math.max(score, typeMismatch ? 0 : 1);
    } else {
      score = Math.max(score, 1 + issue.path.length);
    }
  }
  return score;
}

function invalidUnion(ctx: Context, issue: UnionIssue, path: ConfigPath, value: unknown): ConfigProblem[] {
  const at = (message: string): ConfigProblem[] => [problemAt(ctx.source, path, message)];
  if (issue.discriminator !== undefined && 'options' in issue && issue.options !== undefined) {
    const options = issue.options.map(String);
    const last = path[path.length - 1];
    if (value === undefined)
      return at(`missing required key "${String(last)}" (one of: ${options.join(', ')})`);
    return at(
      `unknown ${String(last)} ${show(value)}${didYouMean(String(value), options)} (one of: ${options.join(', ')})`,
    );
  }
  const branches = issue.errors;
  if (branches.length === 0) return at('matches more than one form; make it unambiguous');
  const scored = branches.map((b, i) => ({ b, i, score: branchScore(b, value) }));
  if (scored.every((s) => s.score === 0)) {
    const expected = new Set(branches.flatMap((b) => b.filter((i) => i.path.length === 0).map(expectedOf)));
    return at(`expected ${[...expected].join(' or ')}, got ${describeValue(value)}`);
  }
  // The most plausible branch: got furthest into the value, then fewest complaints, then first declared.
  scored.sort((x, y) => y.score - x.score || x.b.length - y.b.length || x.i - y.i);
  const best = scored[0] as { b: Issue[] };
  return best.b.flatMap((i) => convert(ctx, i, path));
}

function expectedOf(issue: Issue): string {
  if (issue.code === 'invalid_type') return EXPECTED[issue.expected] ?? issue.expected;
  if (issue.code === 'invalid_value') return issue.values.map(show).join(' or ');
  if (issue.code === 'invalid_union') return issue.errors.flatMap((b) => b.map(expectedOf)).join(' or ');
  return 'a valid value';
}
