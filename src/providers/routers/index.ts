/**
 * Traffic routers (nginx, haproxy, a command): each renders, validates,
 * applies without dropping requests, and verifies a set of weighted backends.
 */
import { resolve } from 'node:path';
import type { RouterConfig } from '../../model/schema-delivery.js';
import type { Router } from '../../model/traffic.js';
import { CommandRouter } from './command.js';
import { HaproxyRouter } from './haproxy.js';
import { NginxRouter } from './nginx.js';

export { CommandRouter, type CommandRouterOptions, commandEnv } from './command.js';
export { HaproxyRouter, type HaproxyRouterOptions } from './haproxy.js';
export { renderServerLine, replaceBackendServers } from './haproxy-config.js';
export { parseServersState, planRuntime } from './haproxy-runtime.js';
export { NginxRouter, type NginxRouterOptions } from './nginx.js';
export { renderUpstream } from './nginx-render.js';

/**
 * The Router for one router of the config. Relative paths in `config` resolve against
 * `projectDir` (the directory of marshal.yaml), which is also the command router's cwd.
 */
export function createRouter(config: RouterConfig, projectDir: string): Router {
  const path = (p: string) => resolve(projectDir, p);
  switch (config.type) {
    case 'nginx':
      return new NginxRouter({
        upstream: config.upstream,
        file: path(config.file),
        config: path(config.config),
        pidFile: path(config.pidFile),
      });
    case 'haproxy':
      return new HaproxyRouter({
        backend: config.backend,
        socket: path(config.socket),
        configFile: path(config.configFile),
      });
    case 'command':
      return new CommandRouter({ run: config.run, cwd: projectDir });
  }
}
