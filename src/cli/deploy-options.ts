/** `--set svc=ver`, `--version`, `--services a,b` → a PlanRequest. */
import type { PlanRequest } from '../plan/index.js';
import { argumentError } from './output.js';

export interface DeployFlags {
  set?: string[];
  version?: string;
  services?: string;
  concurrency?: number;
  rollback?: boolean;
  force?: boolean;
}

export function parseSet(values: string[] = []): Record<string, string> {
  const out: Record<string, string> = {};
  for (const value of values) {
    const eq = value.indexOf('=');
    if (eq <= 0 || eq === value.length - 1) {
      throw argumentError(`--set "${value}": expected <service>=<version>`, 'for example --set api=v2');
    }
    const service = value.slice(0, eq);
    if (out[service] !== undefined) throw argumentError(`--set names "${service}" twice`);
    out[service] = value.slice(eq + 1);
  }
  return out;
}

export function parseServices(value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  const list = value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (list.length === 0) throw argumentError('--services needs at least one service name');
  return list;
}

export function planRequest(environment: string, flags: DeployFlags): PlanRequest {
  const request: PlanRequest = {
    environment,
    set: parseSet(flags.set),
    rollbackOnFailure: flags.rollback !== false,
  };
  const services = parseServices(flags.services);
  if (services) request.services = services;
  if (flags.version !== undefined) request.version = flags.version;
  if (flags.concurrency !== undefined) request.concurrency = flags.concurrency;
  if (flags.force === true) request.force = true;
  return request;
}
