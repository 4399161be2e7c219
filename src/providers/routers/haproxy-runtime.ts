/**
 * haproxy's runtime API as data: reading `show servers state`, planning the
 * commands that take a backend from what it serves to what was asked, and
 * comparing the read-back with the request. Pure, so it is tested by exact
 * equality; haproxy.ts sends the commands.
 */
import type { Backend } from '../../model/traffic.js';
import { hostPort } from './common.js';

/** One server as `show servers state` reports it. */
export interface ServerState {
  name: string;
  /** The IP haproxy connects to; null when it has none (an unresolved name). */
  address: string | null;
  port: number;
  /** The weight set by config or `set weight` (srv_uweight). */
  weight: number;
  /** srv_admin_state: a bit field, see {@link inMaintenance} and {@link draining}. */
  admin: number;
}

/** FMAINT | IMAINT | RMAINT: forced, inherited or resolution maintenance (CMAINT 0x04 only records `disabled`). */
const MAINT = 0x01 | 0x02 | 0x20;
/** FDRAIN | IDRAIN. */
const DRAIN = 0x08 | 0x10;

export function inMaintenance(s: ServerState): boolean {
  return (s.admin & MAINT) !== 0;
}

export function draining(s: ServerState): boolean {
  return (s.admin & DRAIN) !== 0;
}

/** The weight a server gets traffic with: 0 in maintenance or draining. */
export function servedWeight(s: ServerState): number {
  return inMaintenance(s) || draining(s) ? 0 : s.weight;
}

/**
 * Parses `show servers state <backend>` (format 1: a version line, a `#` header naming
 * the columns, one line per server). Throws an Error carrying haproxy's answer when the
 * text is not that (e.g. `Can't find backend.`).
 */
export function parseServersState(text: string): ServerState[] {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  const header = lines.find((l) => l.startsWith('# '));
  if (lines[0]?.trim() !== '1' || header === undefined) {
    throw new Error(text.trim() === '' ? 'an empty answer' : text.trim());
  }
  const columns = header.slice(2).trim().split(/\s+/);
  const col = (fields: string[], name: string): string => fields[columns.indexOf(name)] ?? '';
  return lines
    .filter((l) => l !== lines[0] && !l.startsWith('#'))
    .map((line) => {
      const f = line.trim().split(/\s+/);
      const address = col(f, 'srv_addr');
      return {
        name: col(f, 'srv_name'),
        address: address === '-' || address === '' ? null : address,
        port: Number(col(f, 'srv_port')),
        weight: Number(col(f, 'srv_uweight')),
        admin: Number(col(f, 'srv_admin_state')),
      };
    });
}

/** A backend whose address has been resolved to the IP haproxy will report. */
export interface ResolvedBackend extends Backend {
  ip: string;
}

/**
 * The commands that take `backend` from `state` to `wanted`, in an order that never
 * leaves it with less capacity than needed: servers that will take traffic are added,
 * moved, weighted and enabled first; then the others go to maintenance; servers Marshal
 * no longer lists are put in maintenance and deleted (`del server` refuses while they
 * still hold connections: the caller treats that as harmless).
 */
export function planRuntime(
  backend: string,
  state: readonly ServerState[],
  wanted: readonly ResolvedBackend[],
): string[] {
  const byName = new Map(state.map((s) => [s.name, s]));
  const up: string[] = [];
  const down: string[] = [];
  for (const b of wanted) {
    const id = `${backend}/${b.name}`;
    const now = byName.get(b.name);
    const out = b.weight > 0 ? up : down;
    if (now === undefined) {
      // Dynamic servers start in maintenance.
      out.push(`add server ${id} ${hostPort(b.ip, b.port)} weight ${b.weight}`);
    } else if (now.address !== b.ip || now.port !== b.port) {
      out.push(`set server ${id} addr ${b.ip} port ${b.port}`);
    }
    if (b.weight > 0) {
      if (now === undefined || now.weight !== b.weight) out.push(`set weight ${id} ${b.weight}`);
      if (now === undefined || servedWeight(now) === 0) out.push(`set server ${id} state ready`);
    } else if (now !== undefined && !inMaintenance(now)) {
      out.push(`set server ${id} state maint`);
    }
  }
  const names = new Set(wanted.map((b) => b.name));
  for (const s of state) {
    if (names.has(s.name)) continue;
    if (!inMaintenance(s)) down.push(`set server ${backend}/${s.name} state maint`);
    down.push(`del server ${backend}/${s.name}`);
  }
  return [...up, ...down];
}

/**
 * The commands that put back `before` after a failed switch left the backend as `after`:
 * addresses, weights and states as they were (servers that served first, as in
 * {@link planRuntime}); servers the switch added are removed.
 */
export function planRestore(
  backend: string,
  before: readonly ServerState[],
  after: readonly ServerState[],
): string[] {
  const up: string[] = [];
  const down: string[] = [];
  for (const s of before) {
    const id = `${backend}/${s.name}`;
    const now = after.find((a) => a.name === s.name);
    if (now === undefined) continue; // Deleted: it cannot come back at runtime.
    const out = servedWeight(s) > 0 ? up : down;
    if (s.address !== null && (now.address !== s.address || now.port !== s.port))
      out.push(`set server ${id} addr ${s.address} port ${s.port}`);
    const state = adminState(s);
    const weight = now.weight !== s.weight ? [`set weight ${id} ${s.weight}`] : [];
    const admin = adminState(now) !== state ? [`set server ${id} state ${state}`] : [];
    out.push(...(out === up ? [...weight, ...admin] : [...admin, ...weight]));
  }
  for (const s of after) {
    if (before.some((b) => b.name === s.name)) continue;
    down.push(`set server ${backend}/${s.name} state maint`, `del server ${backend}/${s.name}`);
  }
  return [...up, ...down];
}

function adminState(s: ServerState): 'maint' | 'drain' | 'ready' {
  return inMaintenance(s) ? 'maint' : draining(s) ? 'drain' : 'ready';
}

/** How each kind of command answers when it worked (anything else is haproxy's error message). */
export function commandSucceeded(command: string, answer: string): boolean {
  const text = answer.trim();
  if (command.startsWith('add server ')) return text.includes('New server registered');
  if (command.startsWith('del server ')) return text.includes('Server deleted');
  if (/^set server \S+ addr /.test(command)) return /changed from|no need to change/.test(text);
  return text === '';
}

/** What differs between `wanted` and what haproxy reports: empty when the switch took effect. */
export function compareState(wanted: readonly ResolvedBackend[], state: readonly ServerState[]): string[] {
  const problems: string[] = [];
  for (const b of wanted) {
    const s = state.find((x) => x.name === b.name);
    if (s === undefined) {
      problems.push(`${b.name} is missing`);
      continue;
    }
    if (s.address !== b.ip || s.port !== b.port)
      problems.push(`${b.name} points at ${s.address ?? '-'}:${s.port}, not ${b.ip}:${b.port}`);
    const served = servedWeight(s);
    if (b.weight === 0 && !inMaintenance(s)) problems.push(`${b.name} is in rotation, not in maintenance`);
    else if (b.weight > 0 && served !== b.weight)
      problems.push(`${b.name} serves with weight ${served}, not ${b.weight}`);
  }
  for (const s of state) {
    if (!wanted.some((b) => b.name === s.name) && !inMaintenance(s))
      problems.push(`${s.name} is not listed but still in rotation`);
  }
  return problems;
}

/** The backends as haproxy serves them (weight 0 when in maintenance or draining). */
export function toBackends(state: readonly ServerState[]): Backend[] {
  return state.map((s) => ({
    name: s.name,
    address: s.address ?? '',
    port: s.port,
    weight: servedWeight(s),
  }));
}
