/**
 * Where a service runs in an environment: the hosts of its target group,
 * with their deploy roots resolved.
 */
import { isAbsolute, join, resolve } from 'node:path';
import type { PlannedHost, SshTarget } from '../model/plan.js';
import type { Config, HostConfig } from '../model/schema.js';

export function groupOf(config: Config, service: string): string {
  return config.services[service]?.group ?? service;
}

type HostObject = Exclude<HostConfig, string>;

function normalizeHost(host: HostConfig): HostObject {
  return typeof host === 'string' ? { name: host, vars: {} } : host;
}

const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
const DEFAULT_KEEPALIVE_MS = 15_000;

/** SSH settings of one host: `defaults.ssh`, then the environment's `ssh`, then the host's own port and user. */
function sshTarget(config: Config, projectDir: string, environment: string, host: HostObject): SshTarget {
  const settings = { ...config.defaults.ssh, ...config.environments[environment]?.ssh };
  const path = (p: string | undefined) => (p === undefined ? null : resolve(projectDir, p));
  return {
    port: host.port ?? settings.port ?? 22,
    user: host.user ?? settings.user ?? null,
    identityFile: path(settings.identityFile),
    knownHostsFile: path(settings.knownHosts),
    jump: settings.jumpHost
      ? {
          address: settings.jumpHost.address,
          port: settings.jumpHost.port,
          user: settings.jumpHost.user ?? null,
        }
      : null,
    connectTimeoutMs: settings.connectTimeout ?? DEFAULT_CONNECT_TIMEOUT_MS,
    keepaliveMs: settings.keepaliveInterval ?? DEFAULT_KEEPALIVE_MS,
  };
}

/** Whether `service` has hosts in `environment` (what `hostsFor` would list, without building them). */
export function hasHosts(config: Config, environment: string, service: string): boolean {
  const group = config.environments[environment]?.groups[groupOf(config, service)];
  return (group?.hosts?.length ?? 0) > 0;
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
  const remote = (config.services[service]?.provider ?? config.defaults.provider) === 'ssh';
  return (group.hosts ?? []).map((raw) => {
    const host = normalizeHost(raw);
    if (remote) {
      const address = host.address ?? host.name;
      const settings = { ...config.defaults.ssh, ...env?.ssh };
      const root = host.root ?? settings.root ?? 'marshal';
      return {
        name: host.name,
        address,
        root,
        vars: host.vars,
        ssh: sshTarget(config, projectDir, environment, host),
      };
    }
    const root =
      host.root === undefined
        ? join(projectDir, '.marshal', 'hosts', environment, host.name)
        : isAbsolute(host.root)
          ? host.root
          : resolve(projectDir, host.root);
    // A local host is this machine whatever its name: routers and `{{ host.address }}` reach its
    // services on the loopback address (a name such as `web-1` resolves nowhere).
    return { name: host.name, address: host.address ?? '127.0.0.1', root, vars: host.vars, ssh: null };
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
