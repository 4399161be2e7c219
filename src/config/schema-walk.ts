/**
 * Reading the zod schema as data: which keys an object allows at a config
 * path (for "did you mean" on unknown keys) and what a field is (for the
 * generated reference). Zod v4 exposes its structure on `_zod.def`; only the
 * few kinds the config schema uses are handled.
 */
import type { z } from 'zod';
import type { ConfigPath } from './yaml-source.js';

/** The parts of a zod v4 definition this module reads. */
export interface SchemaDef {
  type: string;
  innerType?: z.ZodType;
  in?: z.ZodType;
  out?: z.ZodType;
  shape?: Record<string, z.ZodType>;
  element?: z.ZodType;
  keyType?: z.ZodType;
  valueType?: z.ZodType;
  options?: z.ZodType[];
  discriminator?: string;
  values?: unknown[];
  entries?: Record<string, string>;
  defaultValue?: unknown;
}

/** The definition of a schema. */
export function defOf(schema: z.ZodType): SchemaDef {
  return schema._zod.def as unknown as SchemaDef;
}

/** Strips optional/default/pipe wrappers down to the schema that checks the value. */
export function unwrap(schema: z.ZodType): z.ZodType {
  let current = schema;
  for (;;) {
    const def = defOf(current);
    if ((def.type === 'optional' || def.type === 'default' || def.type === 'nullable') && def.innerType) {
      current = def.innerType;
    } else if (def.type === 'pipe' && def.in) {
      current = def.in;
    } else {
      return current;
    }
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Union options that could describe `value` (a discriminated union keeps the matching branch). */
function plausibleOptions(schema: z.ZodType, value: unknown): z.ZodType[] {
  const def = defOf(schema);
  const options = def.options ?? [];
  const objects = options.filter((o) => defOf(unwrap(o)).type === 'object');
  if (def.discriminator !== undefined && isRecord(value)) {
    const tag = value[def.discriminator];
    const match = objects.filter((o) => {
      const literal = defOf(unwrap(o)).shape?.[def.discriminator as string];
      return literal !== undefined && (defOf(unwrap(literal)).values ?? []).includes(tag);
    });
    if (match.length > 0) return match;
  }
  return isRecord(value) && objects.length > 0 ? objects : options;
}

/** Every schema `path` may be checked by, following unions (data picks the branch when it can). */
export function schemasAt(schema: z.ZodType, path: ConfigPath, data: unknown): z.ZodType[] {
  let current: { schema: z.ZodType; value: unknown }[] = [{ schema, value: data }];
  for (let i = 0; i <= path.length; i++) {
    // Expand unions at this level first, so objects inside unions are reachable.
    const expanded: { schema: z.ZodType; value: unknown }[] = [];
    const queue = [...current];
    while (queue.length > 0) {
      const item = queue.shift() as { schema: z.ZodType; value: unknown };
      const inner = unwrap(item.schema);
      if (defOf(inner).type === 'union') {
        for (const option of plausibleOptions(inner, item.value))
          queue.push({ schema: option, value: item.value });
      } else {
        expanded.push({ schema: inner, value: item.value });
      }
    }
    if (i === path.length) return expanded.map((e) => e.schema);
    const segment = path[i] as string | number;
    current = [];
    for (const { schema: s, value } of expanded) {
      const def = defOf(s);
      const child =
        isRecord(value) || Array.isArray(value) ? (value as Record<string, unknown>)[segment] : undefined;
      if (def.type === 'object' && typeof segment === 'string' && def.shape?.[segment]) {
        current.push({ schema: def.shape[segment], value: child });
      } else if (def.type === 'record' && def.valueType) {
        current.push({ schema: def.valueType, value: child });
      } else if (def.type === 'array' && def.element && typeof segment === 'number') {
        current.push({ schema: def.element, value: child });
      }
    }
  }
  return [];
}

/** The keys an object at `path` accepts (union of all plausible object schemas there). */
export function allowedKeysAt(schema: z.ZodType, path: ConfigPath, data: unknown): string[] {
  const keys = new Set<string>();
  for (const s of schemasAt(schema, path, data)) {
    for (const key of Object.keys(defOf(s).shape ?? {})) keys.add(key);
  }
  return [...keys];
}

/** The value at `path` in plain data, or undefined. */
export function valueAt(data: unknown, path: ConfigPath): unknown {
  let current = data;
  for (const segment of path) {
    if (!isRecord(current) && !Array.isArray(current)) return undefined;
    current = (current as Record<string | number, unknown>)[segment];
  }
  return current;
}
