/**
 * The digest of a resolved config, recorded with every release so a run can
 * say which configuration it was planned from. Keys are sorted, so the order
 * in which a file lists things does not change it; any value change does.
 */
import type { Config } from '../model/schema.js';
import { sha256Hex } from '../model/sha256.js';

/** JSON with object keys sorted at every level; undefined members are left out, as JSON does. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return v;
    const sorted: Record<string, unknown> = {};
    for (const key of Object.keys(v).sort()) sorted[key] = (v as Record<string, unknown>)[key];
    return sorted;
  });
}

/** sha256 (hex) of the canonical JSON of `config`. */
export function configDigest(config: Config): string {
  return sha256Hex(canonicalJson(config));
}
