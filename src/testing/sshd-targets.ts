/**
 * Planning helpers over a running SshdHosts harness: the PlannedHost and
 * TargetContext the ssh provider takes for one of its hosts, carrying the
 * harness's client key and known_hosts, optionally reached through another
 * host as a jump host.
 */
import type { PlannedHost } from '../model/plan.js';
import type { TargetContext } from '../model/provider.js';
import type { SshdHosts } from './sshd-hosts.js';

export interface SshTargetOptions {
  /** Deploy root; default: the host's absolute `root`. */
  root?: string;
  service?: string;
  environment?: string;
  /** Reach the host through this other host of the harness. */
  jump?: string;
  projectDir?: string;
  connectTimeoutMs?: number;
}

/** A PlannedHost for `name`, with the harness's key and known_hosts. */
export function sshPlannedHost(hosts: SshdHosts, name: string, options: SshTargetOptions = {}): PlannedHost {
  const host = hosts.host(name);
  const jump = options.jump === undefined ? null : hosts.host(options.jump);
  return {
    name,
    address: '127.0.0.1',
    root: options.root ?? host.root,
    vars: {},
    ssh: {
      port: host.port,
      user: host.user,
      identityFile: hosts.identityFile,
      knownHostsFile: hosts.knownHostsFile,
      jump: jump === null ? null : { address: '127.0.0.1', port: jump.port, user: jump.user },
      connectTimeoutMs: options.connectTimeoutMs ?? 5000,
      keepaliveMs: 15_000,
    },
  };
}

/** A TargetContext for the ssh provider on host `name`. */
export function sshTargetContext(
  hosts: SshdHosts,
  name: string,
  options: SshTargetOptions = {},
): TargetContext {
  return {
    environment: options.environment ?? 'staging',
    service: options.service ?? 'api',
    host: sshPlannedHost(hosts, name, options),
    projectDir: options.projectDir ?? hosts.dir,
  };
}
