/**
 * Where a service runs in an environment: the hosts of its target group,
 * with their deploy roots resolved.
 */
import { isAbsolute, join, resolve } from 'node:path';
import type { PlannedHost } from '../model/plan.js';
import type { Config, HostConfig } from '../model/schema.js';

export function groupOf(config: Config, service: string): string {
  return config.services[service]?.group ?? service;
}

function normalizeHost(host: HostConfig): { name: string; root?: string; vars: Record<string, string> } {
  return typeof host === 'string' ? { name: host, vars: {} } : host;
}

/** The hosts a service is deployed to in an environment (empty when its group is absent there). */
export function hostsFor(
  config: Config,
  projectDir: string,
  environment: string,
  service: string,
): PlannedHost[] {
  const env = config.environments[environment];
  const group = env?.groups[groupOf(config, service)];
  if (group === undefined) return [];
  return group.hosts.map((raw) => {
    const host = normalizeHost(raw);
    const root =
      host.root === undefined
        ? join(projectDir, '.marshal', 'hosts', environment, host.name)
        : isAbsolute(host.root)
          ? host.root
          : resolve(projectDir, host.root);
    return { name: host.name, root, vars: host.vars };
  });
}

/** Batch sizes for `count` targets: a count, a percentage, or a growing list whose last entry repeats. */
export function batchSizes(count: number, spec: number | string | (number | string)[] | undefined): number[] {
  if (count === 0) return [];
  if (spec === undefined) return [count];
  const list = Array.isArray(spec) ? spec : [spec];
  const toCount = (s: number | string): number =>
    typeof s === 'number' ? s : Math.max(1, Math.ceil((count * Number(s.slice(0, -1))) / 100));
  const sizes: number[] = [];
  let placed = 0;
  let i = 0;
  while (placed < count) {
    const size = Math.min(count - placed, toCount(list[Math.min(i, list.length - 1)] as number | string));
    sizes.push(size);
    placed += size;
    i++;
  }
  return sizes;
}
