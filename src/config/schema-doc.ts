/**
 * Describes one schema field for people: its type, default and description,
 * read from the zod schema itself so the reference cannot drift from it.
 */
import type { z } from 'zod';
import { Duration, Name, ServiceName, Variables, Version } from '../model/schema.js';
import { defOf } from './schema-walk.js';

/** A documented field: `key` may be nested (`http.url`, `groups.<name>.hosts`, `steps[].pause`). */
export interface FieldDoc {
  key: string;
  /** Which form of a union the rows that follow belong to: `` with `type: nginx` ``. */
  form?: string;
  type: string;
  default: string;
  description: string;
}

/**
 * Schemas with a section of their own, rendered as links. Keyed by definition:
 * `.describe()` makes a new schema object but keeps the definition.
 */
export type Links = ReadonlyMap<unknown, string>;

/** Value kinds explained once in the "Values" section. */
const KINDS: Links = new Map<unknown, string>([
  [Name._zod.def, '[name](#values)'],
  [ServiceName._zod.def, '[name](#values)'],
  [Version._zod.def, '[version](#values)'],
  [Duration._zod.def, '[duration](#values)'],
  [Variables._zod.def, '[variables](#values)'],
]);

function named(schema: z.ZodType, links: Links): string | undefined {
  return links.get(schema._zod.def) ?? KINDS.get(schema._zod.def);
}

/** A string schema checked against a percentage pattern such as `/^\d{1,3}%$/`. */
function isPercentage(schema: z.ZodType): boolean {
  const checks = (schema._zod.def as { checks?: { _zod: { def: { pattern?: RegExp } } }[] }).checks ?? [];
  return checks.some((c) => c._zod.def.pattern?.source.includes('%') === true);
}

const MAX_SAFE = Number.MAX_SAFE_INTEGER;

/** The description of the outermost wrapper that has one. */
export function descriptionOf(schema: z.ZodType): string {
  let current: z.ZodType | undefined = schema;
  while (current !== undefined) {
    if (current.description) return current.description;
    const def = defOf(current);
    current = def.innerType ?? (def.type === 'pipe' ? def.in : undefined);
  }
  return '';
}

/** Unwraps optional/default and reports whether the field may be left out, and its default. */
function peel(schema: z.ZodType): {
  inner: z.ZodType;
  optional: boolean;
  fallback: unknown;
  hasDefault: boolean;
} {
  let inner = schema;
  let optional = false;
  let hasDefault = false;
  let fallback: unknown;
  for (;;) {
    const def = defOf(inner);
    if (KINDS.has(inner._zod.def) || !def.innerType) break;
    if (def.type === 'default' && !hasDefault) {
      hasDefault = true;
      fallback = def.defaultValue;
    }
    if (def.type === 'optional' || def.type === 'default') optional = true;
    inner = def.innerType;
  }
  return { inner, optional, fallback, hasDefault };
}

function numberRange(schema: z.ZodType): string {
  const n = schema as unknown as { minValue: number | null; maxValue: number | null; isInt: boolean };
  const word = n.isInt ? 'integer' : 'number';
  const min = n.minValue !== null && n.minValue > -MAX_SAFE ? n.minValue : undefined;
  const max = n.maxValue !== null && n.maxValue < MAX_SAFE ? n.maxValue : undefined;
  if (min !== undefined && max !== undefined) return `${word} ${min}–${max}`;
  if (min !== undefined) return `${word} ≥ ${min}`;
  if (max !== undefined) return `${word} ≤ ${max}`;
  return word;
}

/** A type in words: `list of [run step](#run-step)`, `integer 1–65535`, `"local"`. */
export function typeOf(schema: z.ZodType, links: Links): string {
  const { inner } = peel(schema);
  const name = named(inner, links);
  if (name !== undefined) return name;
  const def = defOf(inner);
  switch (def.type) {
    case 'string':
      return isPercentage(inner) ? '[percentage](#values)' : 'string';
    case 'number':
      return numberRange(inner);
    case 'boolean':
      return 'boolean';
    case 'literal':
      return (def.values ?? []).map((v) => `\`${JSON.stringify(v)}\``).join(' or ');
    case 'enum':
      return Object.values(def.entries ?? {})
        .map((v) => `\`${JSON.stringify(v)}\``)
        .join(' or ');
    case 'array': {
      const element = def.element ? typeOf(def.element, links) : 'value';
      return element.includes(' or ') ? `list of (${element})` : `list of ${element}`;
    }
    case 'record': {
      const key = def.keyType ? typeOf(def.keyType, links) : 'string';
      return def.valueType ? `map of ${key} → ${typeOf(def.valueType, links)}` : 'map';
    }
    case 'union':
      return (def.options ?? []).map((o) => typeOf(o, links)).join(' or ');
    case 'pipe':
      return def.in ? typeOf(def.in, links) : 'value';
    case 'object':
      return 'map';
    default:
      return def.type;
  }
}

function formatMs(ms: number): string {
  for (const [unit, size] of [
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
  ] as const) {
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}

function defaultText(schema: z.ZodType, links: Links): string {
  const { inner, optional, fallback, hasDefault } = peel(schema);
  if (!optional) return '**required**';
  if (!hasDefault || links.has(inner._zod.def)) return '';
  if (inner._zod.def === Duration._zod.def && typeof fallback === 'number')
    return `\`${formatMs(fallback)}\``;
  return `\`${JSON.stringify(fallback)}\``;
}

/** Inline objects (not sections) whose keys are listed under their parent, with a prefix. */
function nestedObject(schema: z.ZodType, links: Links): { prefix: string; object: z.ZodType } | undefined {
  const { inner } = peel(schema);
  if (named(inner, links) !== undefined) return undefined;
  const def = defOf(inner);
  if (def.type === 'object') return { prefix: '', object: inner };
  if (def.type === 'record' && def.valueType) {
    const value = peel(def.valueType).inner;
    if (defOf(value).type === 'object' && named(value, links) === undefined)
      return { prefix: '<name>.', object: value };
  }
  return undefined;
}

/** A union whose every option is an inline object (a router, a canary step): its forms are documented in place. */
function isUnionOfMaps(schema: z.ZodType, links: Links): boolean {
  const def = defOf(schema);
  return (
    def.type === 'union' &&
    named(schema, links) === undefined &&
    (def.options ?? []).every((o) => defOf(peel(o).inner).type === 'object' && named(o, links) === undefined)
  );
}

/**
 * A field that holds such a union — itself, as each entry of a map (`routers.<name>`) or as each
 * item of a list (`steps[]`): the union, the key suffix its forms are listed under, and the
 * words before the forms in the type column.
 */
function unionField(
  schema: z.ZodType,
  links: Links,
): { union: z.ZodType; suffix: string; container: string } | undefined {
  const { inner } = peel(schema);
  const def = defOf(inner);
  const holder =
    def.type === 'record' && def.valueType && def.keyType
      ? { suffix: '.<name>', container: `map of ${typeOf(def.keyType, links)} → `, value: def.valueType }
      : def.type === 'array' && def.element
        ? { suffix: '[]', container: 'list of ', value: def.element }
        : { suffix: '', container: '', value: inner };
  const union = peel(holder.value).inner;
  return isUnionOfMaps(union, links) ? { ...holder, union } : undefined;
}

/** The key every form has as a literal (`type`), when there is one: it tells the forms apart. */
function discriminatorOf(union: z.ZodType): string | undefined {
  const def = defOf(union);
  if (def.discriminator !== undefined) return def.discriminator;
  const shapes = (def.options ?? []).map((o) => defOf(peel(o).inner).shape ?? {});
  return Object.keys(shapes[0] ?? {}).find((key) =>
    shapes.every((shape) => shape[key] && defOf(peel(shape[key]).inner).type === 'literal'),
  );
}

/** What tells a form apart, in code spans: its `tag`'s value (`nginx`), or else its required keys (`setWeight`). */
function formName(form: z.ZodType, tag: string | undefined): string {
  const shape = defOf(peel(form).inner).shape ?? {};
  const literal = tag === undefined ? undefined : shape[tag];
  if (literal !== undefined) return String(defOf(peel(literal).inner).values?.[0]);
  const required = Object.entries(shape).filter(([, field]) => !peel(field).optional);
  return required.map(([key]) => key).join('` and `');
}

/**
 * A union of maps as rows: how it reads in the type column (``map by `type`: `nginx`, `haproxy`
 * or `command` ``), and for each form a row that names it, then its keys (the tag said once).
 */
function formRows(union: z.ZodType, links: Links, key: string): { type: string; rows: FieldDoc[] } {
  const tag = discriminatorOf(union);
  const forms = defOf(union).options ?? [];
  const names = forms.map((form) => formName(form, tag));
  const list = `\`${names.slice(0, -1).join('`, `')}\` or \`${names.at(-1)}\``;
  const rows = forms.flatMap((option, i) => {
    const form = peel(option).inner;
    const tagField = tag === undefined ? undefined : defOf(form).shape?.[tag];
    const head: FieldDoc = {
      key,
      form: `with \`${tag === undefined ? '' : `${tag}: `}${names[i]}\``,
      type: 'map',
      default: '',
      description: descriptionOf(option) || (tagField === undefined ? '' : descriptionOf(tagField)),
    };
    return [head, ...fieldsOf(form, links, `${key}.`).filter((r) => r.key !== `${key}.${tag}`)];
  });
  return { type: tag === undefined ? `map with one of ${list}` : `map by \`${tag}\`: ${list}`, rows };
}

/** The rows of an object's table, nested inline objects (and forms of unions of them) flattened as `parent.child`. */
export function fieldsOf(object: z.ZodType, links: Links, prefix = ''): FieldDoc[] {
  const rows: FieldDoc[] = [];
  for (const [key, field] of Object.entries(defOf(object).shape ?? {})) {
    const name = `${prefix}${key}`;
    const held = unionField(field, links);
    if (held !== undefined) {
      const forms = formRows(held.union, links, `${name}${held.suffix}`);
      const about = new Set([descriptionOf(field), descriptionOf(held.union)].filter((t) => t !== ''));
      const description = [...about].join(' ');
      const type = `${held.container}${forms.type}`;
      rows.push({ key: name, type, default: defaultText(field, links), description }, ...forms.rows);
      continue;
    }
    const nested = nestedObject(field, links);
    const type = nested?.prefix === '<name>.' ? `map of name → map` : typeOf(field, links);
    rows.push({ key: name, type, default: defaultText(field, links), description: descriptionOf(field) });
    if (nested !== undefined) rows.push(...fieldsOf(nested.object, links, `${name}.${nested.prefix}`));
  }
  return rows;
}

/** A markdown table of fields. */
export function fieldTable(rows: readonly FieldDoc[]): string {
  const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
  const lines = ['| key | type | default | description |', '| --- | --- | --- | --- |'];
  for (const r of rows) {
    const key = `\`${cell(r.key)}\`${r.form === undefined ? '' : ` ${cell(r.form)}`}`;
    lines.push(`| ${key} | ${cell(r.type)} | ${cell(r.default)} | ${cell(r.description)} |`);
  }
  return lines.join('\n');
}
