/**
 * Rules the schema cannot express because they relate parts of the merged
 * config: references between services, groups and hosts, names that must be
 * unique, and files that must exist. Each problem carries the precise path.
 */
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { findNamedCycle } from '../dag/graph.js';
import type { ConfigProblem } from '../model/project.js';
import type { Config, HealthCheckConfig, ServiceConfig } from '../model/schema.js';
import { didYouMean } from '../model/suggest.js';
import type { Locator } from './locator.js';
import type { ConfigPath } from './yaml-source.js';

/** What the checks need besides the config: where things came from. */
export interface CheckContext {
  config: Config;
  locator: Locator;
  /** Directory of the file that declared each service. */
  serviceDirs: Record<string, string>;
  /**
   * `Object.entries(config.services)`, listed once for every check: with 60,000 services each
   * listing costs ~80 ms (the object is a dictionary, not a shape).
   */
  services: readonly [string, ServiceConfig][];
}

interface Checks extends CheckContext {
  names: string[];
}

/** Every semantic problem of a schema-valid, merged config. */
export function semanticProblems(context: CheckContext): ConfigProblem[] {
  const ctx: Checks = { ...context, names: context.services.map(([name]) => name) };
  return [
    ...checkNotEmpty(ctx),
    ...checkNeeds(ctx),
    ...checkCycles(ctx),
    ...checkGroups(ctx),
    ...checkHosts(ctx),
    ...checkStepNames(ctx),
    ...checkPorts(ctx),
    ...checkArtifacts(ctx),
  ];
}

function checkNotEmpty({ config, locator, names }: Checks): ConfigProblem[] {
  const out: ConfigProblem[] = [];
  if (names.length === 0) {
    out.push(
      locator.problem(['services'], 'the project defines no services; add one under "services:"', {
        key: true,
      }),
    );
  }
  if (Object.keys(config.environments).length === 0) {
    out.push(
      locator.problem(
        ['environments'],
        'the project defines no environments; add one under "environments:"',
        { key: true },
      ),
    );
  }
  return out;
}

function checkNeeds({ config, locator, services, names }: Checks): ConfigProblem[] {
  const out: ConfigProblem[] = [];
  for (const [name, service] of services) {
    const seen = new Set<string>();
    service.needs.forEach((need, index) => {
      const path = ['services', name, 'needs', index];
      if (need === name) out.push(locator.problem(path, `service "${name}" cannot need itself`));
      else if (!Object.hasOwn(config.services, need)) {
        out.push(locator.problem(path, `unknown service "${need}"${didYouMean(need, names)}`));
      } else if (seen.has(need))
        out.push(locator.problem(path, `"${need}" is listed more than once in needs`));
      seen.add(need);
    });
  }
  return out;
}

function checkCycles({ config, locator, services, names }: Checks): ConfigProblem[] {
  const order = new Map(names.map((n, i) => [n, i]));
  // Self-needs and unknown names are reported by checkNeeds; they would only repeat here.
  const deps = new Map(
    services.map(([name, s]) => [name, [...new Set(s.needs.filter((d) => d !== name && order.has(d)))]]),
  );
  const out: ConfigProblem[] = [];
  let budget = [...deps.values()].reduce((n, d) => n + d.length, 0);
  while (budget-- > 0) {
    const found = findNamedCycle(names, (n) => deps.get(n) ?? []);
    if (found === null) break;
    // Start the cycle at its earliest-declared service so the message does not depend on search order.
    const ring = found.slice(0, -1);
    const start = ring.reduce(
      (best, n, i) => ((order.get(n) ?? 0) < (order.get(ring[best] as string) ?? 0) ? i : best),
      0,
    );
    const cycle = [...ring.slice(start), ...ring.slice(0, start)];
    const [first, second] = cycle as [string, string];
    const index = config.services[first]?.needs.indexOf(second) ?? -1;
    out.push(
      locator.problem(
        ['services', first, 'needs', index],
        `dependency cycle: ${[...cycle, first].join(' → ')}`,
      ),
    );
    // Break this edge and look again, so independent cycles are all reported.
    deps.set(
      first,
      (deps.get(first) ?? []).filter((d) => d !== second),
    );
  }
  return out;
}

function checkGroups({ config, locator, services }: Checks): ConfigProblem[] {
  const environments = Object.values(config.environments);
  if (environments.length === 0) return [];
  // A Set: services without `group:` run on a group of their own name, one group per service.
  const defined = new Set(environments.flatMap((e) => Object.keys(e.groups)));
  const groups = [...defined];
  const out: ConfigProblem[] = [];
  for (const [name, service] of services) {
    const group = service.group ?? name;
    if (defined.has(group)) continue;
    const hint = didYouMean(group, groups);
    if (service.group !== undefined) {
      out.push(
        locator.problem(
          ['services', name, 'group'],
          `group "${group}" is not defined in any environment${hint}`,
        ),
      );
    } else {
      const message = `service "${name}" runs on group "${name}" (its name), which no environment defines; set group: or add the group${hint}`;
      out.push(locator.problem(['services', name], message, { key: true }));
    }
  }
  return out;
}

interface SeenHost {
  root: string | undefined;
  vars: string;
  path: ConfigPath;
  group: string;
}

function checkHosts({ config, locator }: Checks): ConfigProblem[] {
  const out: ConfigProblem[] = [];
  for (const [envName, env] of Object.entries(config.environments)) {
    const envDir = locator.sourceOf(['environments', envName]).dir;
    const byName = new Map<string, SeenHost>();
    const byRoot = new Map<string, { name: string; path: ConfigPath }>();
    for (const [groupName, group] of Object.entries(env.groups)) {
      (group.hosts ?? []).forEach((host, index) => {
        const path = ['environments', envName, 'groups', groupName, 'hosts', index];
        const h = typeof host === 'string' ? { name: host, root: undefined, vars: {} } : host;
        const vars = JSON.stringify(Object.entries(h.vars).sort(([a], [b]) => (a < b ? -1 : 1)));
        const prior = byName.get(h.name);
        if (prior !== undefined) {
          if (prior.group === groupName) {
            out.push(locator.problem(path, `host "${h.name}" is listed twice in group "${groupName}"`));
          } else if (prior.root !== h.root || prior.vars !== vars) {
            const where = locator.where(prior.path);
            out.push(
              locator.problem(
                path,
                `host "${h.name}" is also defined at ${where} with a different root or vars`,
              ),
            );
          }
          return;
        }
        byName.set(h.name, { root: h.root, vars, path, group: groupName });
        if (h.root === undefined) return;
        const absolute = resolve(envDir, h.root);
        const other = byRoot.get(absolute);
        if (other !== undefined && other.name !== h.name) {
          const where = locator.where(other.path);
          out.push(
            locator.problem(
              [...path, 'root'],
              `root "${h.root}" is also used by host "${other.name}" (${where})`,
            ),
          );
        } else {
          byRoot.set(absolute, { name: h.name, path });
        }
      });
    }
  }
  return out;
}

function checkStepNames({ locator, services }: Checks): ConfigProblem[] {
  const out: ConfigProblem[] = [];
  for (const [name, service] of services) {
    // Unnamed steps are called run1, run2, … by position, so an explicit name can clash with them.
    const taken = new Map<string, number>();
    service.steps.forEach((step, index) => {
      const effective = step.name ?? `run${index + 1}`;
      const prior = taken.get(effective);
      if (prior === undefined) {
        taken.set(effective, index);
        return;
      }
      const priorStep = service.steps[prior];
      const why =
        priorStep?.name === undefined ? ` (the default name of steps[${prior}])` : ` (also steps[${prior}])`;
      const path = ['services', name, 'steps', index, ...(step.name === undefined ? [] : ['name'])];
      out.push(locator.problem(path, `duplicate step name "${effective}"${why}`));
    });
    // Unnamed rollback commands are rollback1, rollback2, … counting commands only (not `restore`).
    const rollbackNames = new Map<string, number>();
    let restoreSeen = false;
    let commands = 0;
    (service.rollback ?? []).forEach((step, index) => {
      const path = ['services', name, 'rollback', index];
      if (step === 'restore') {
        if (restoreSeen) out.push(locator.problem(path, '"restore" is listed more than once in rollback'));
        restoreSeen = true;
        return;
      }
      commands++;
      const effective = step.name ?? `rollback${commands}`;
      const prior = rollbackNames.get(effective);
      if (prior === undefined) {
        rollbackNames.set(effective, index);
        return;
      }
      const at = step.name === undefined ? path : [...path, 'name'];
      out.push(locator.problem(at, `duplicate step name "${effective}" (also rollback[${prior}])`));
    });
  }
  return out;
}

/** Health checks with their paths: `health` may be one check or a list. */
export function healthChecks(
  name: string,
  service: ServiceConfig,
): { check: HealthCheckConfig; path: ConfigPath }[] {
  const { health } = service;
  if (health === undefined) return [];
  if (Array.isArray(health))
    return health.map((check, i) => ({ check, path: ['services', name, 'health', i] }));
  return [{ check: health, path: ['services', name, 'health'] }];
}

function portProblem(port: number | string | undefined): string | undefined {
  if (typeof port !== 'string' || port.includes('{{')) return undefined;
  const n = /^\d+$/.test(port.trim()) ? Number(port) : Number.NaN;
  return n >= 1 && n <= 65535
    ? undefined
    : `port must be a number from 1 to 65535 or a {{ placeholder }}, got "${port}"`;
}

function checkPorts({ locator, services }: Checks): ConfigProblem[] {
  const out: ConfigProblem[] = [];
  for (const [name, service] of services) {
    const startPort = portProblem(service.start?.port);
    if (startPort) out.push(locator.problem(['services', name, 'start', 'port'], startPort));
    for (const { check, path } of healthChecks(name, service)) {
      const tcpPort = portProblem(check.tcp?.port);
      if (tcpPort) out.push(locator.problem([...path, 'tcp', 'port'], tcpPort));
    }
  }
  return out;
}

function checkArtifacts({ locator, serviceDirs, services }: Checks): ConfigProblem[] {
  const out: ConfigProblem[] = [];
  for (const [name, service] of services) {
    const { artifact } = service;
    // A templated artifact (`build/{{ version }}`) can only be checked at deploy time.
    if (artifact === undefined || artifact.includes('{{')) continue;
    const dir = resolve(serviceDirs[name] ?? locator.root.dir, artifact);
    let isDir: boolean | undefined;
    try {
      isDir = statSync(dir).isDirectory();
    } catch {
      isDir = undefined;
    }
    if (isDir !== true) {
      const what = isDir === false ? 'is not a directory' : 'does not exist';
      out.push(
        locator.problem(['services', name, 'artifact'], `artifact directory "${artifact}" ${what} (${dir})`),
      );
    }
  }
  return out;
}
