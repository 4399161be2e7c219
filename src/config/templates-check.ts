/**
 * `{{ … }}` placeholders are checked before anything runs: the syntax once,
 * and the names against every environment the service is deployed to, since
 * a variable defined in staging may be missing in production.
 */
import type { ConfigProblem } from '../model/project.js';
import type { Config, ServiceConfig } from '../model/schema.js';
import { placeholderProblem } from '../model/scope.js';
import { didYouMean } from '../model/suggest.js';
import { placeholders, templateSyntaxError } from '../model/template.js';
import { type CheckContext, healthChecks } from './checks.js';
import type { ConfigPath } from './yaml-source.js';

/** A string of the config that is rendered as a template. */
export interface TemplatedField {
  path: ConfigPath;
  text: string;
}

/** Every templated string of a service, with its path. */
export function templatedFields(name: string, service: ServiceConfig): TemplatedField[] {
  const base = ['services', name];
  const out: TemplatedField[] = [];
  const add = (path: ConfigPath, text: string | number | undefined) => {
    if (typeof text === 'string') out.push({ path, text });
  };
  add([...base, 'artifact'], service.artifact);
  service.steps.forEach((step, i) => {
    add([...base, 'steps', i, 'run'], step.run);
  });
  (service.rollback ?? []).forEach((step, i) => {
    if (step !== 'restore') add([...base, 'rollback', i, 'run'], step.run);
  });
  if (service.start !== undefined) {
    add([...base, 'start', 'command'], service.start.command);
    add([...base, 'start', 'port'], service.start.port);
    for (const [key, value] of Object.entries(service.start.env)) add([...base, 'start', 'env', key], value);
  }
  const strategy = service.strategy;
  if (strategy?.type === 'blue-green' || strategy?.type === 'canary') {
    add([...base, 'strategy', 'slots', 'blue', 'port'], strategy.slots.blue.port);
    add([...base, 'strategy', 'slots', 'green', 'port'], strategy.slots.green.port);
  }
  for (const { check, path } of healthChecks(name, service)) {
    add([...path, 'http', 'url'], check.http?.url);
    add([...path, 'tcp', 'host'], check.tcp?.host);
    add([...path, 'tcp', 'port'], check.tcp?.port);
    add([...path, 'command'], check.command);
  }
  return out;
}

/** What templates can see in one environment a service is deployed to. */
interface Target {
  environment: string;
  group: string;
  variables: Set<string>;
  hosts: { name: string; vars: Set<string> }[];
  /** The vars every host of the group has (computed once asked for). */
  common?: Set<string>;
}

/**
 * The targets of each group, built once per group and shared by its services: a fleet of
 * 10,000 hosts run by 50 services would otherwise be gone through 50 times.
 */
function targetsOf(config: Config, group: string, cache: Map<string, Target[]>): Target[] {
  let targets = cache.get(group);
  if (targets !== undefined) return targets;
  targets = [];
  for (const [environment, env] of Object.entries(config.environments)) {
    const hosts = env.groups[group]?.hosts;
    if (hosts === undefined) continue;
    targets.push({
      environment,
      group,
      variables: new Set([...Object.keys(config.defaults.variables), ...Object.keys(env.variables)]),
      hosts: hosts.map((h) =>
        typeof h === 'string'
          ? { name: h, vars: new Set() }
          : { name: h.name, vars: new Set(Object.keys(h.vars)) },
      ),
    });
  }
  cache.set(group, targets);
  return targets;
}

/** Problems of one placeholder in one environment. */
function problemIn(placeholder: string, target: Target): string | undefined {
  target.common ??= new Set(
    [...(target.hosts[0]?.vars ?? [])].filter((v) => target.hosts.every((h) => h.vars.has(v))),
  );
  const problem = placeholderProblem(placeholder, target.variables, target.common);
  if (problem === undefined) return undefined;
  const [root, field = ''] = placeholder.split('.');
  if (root === 'host') {
    const missing = target.hosts.filter((h) => !h.vars.has(field)).map((h) => `"${h.name}"`);
    if (missing.length < target.hosts.length) {
      const hosts = missing.length === 1 ? `host ${missing[0]} has` : `hosts ${missing.join(', ')} have`;
      return `{{ ${placeholder} }}: ${hosts} no var "${field}" (environment "${target.environment}", group "${target.group}")`;
    }
    const known = new Set(target.hosts.flatMap((h) => [...h.vars]));
    return `${problem} on the hosts of group "${target.group}"${didYouMean(field, known)}`;
  }
  if (root === 'env')
    return `${problem} in environment "${target.environment}"${didYouMean(field, target.variables)}`;
  return problem;
}

/** Template problems of every service. */
export function templateProblems({ config, locator, services }: CheckContext): ConfigProblem[] {
  const out: ConfigProblem[] = [];
  const byGroup = new Map<string, Target[]>();
  for (const [name, service] of services) {
    const targets = targetsOf(config, service.group ?? name, byGroup);
    for (const field of templatedFields(name, service)) {
      const syntax = templateSyntaxError(field.text);
      if (syntax !== undefined) {
        out.push(locator.problem(field.path, syntax));
        continue;
      }
      const messages = new Set<string>();
      for (const placeholder of new Set(placeholders(field.text))) {
        if (targets.length === 0) {
          // Deployed nowhere (reported elsewhere): only names wrong everywhere can be checked.
          const field2 = placeholder.split('.')[1] ?? '';
          const problem = placeholderProblem(placeholder, new Set([field2]), new Set([field2]));
          if (problem !== undefined) messages.add(problem);
        }
        for (const target of targets) {
          const problem = problemIn(placeholder, target);
          if (problem !== undefined) messages.add(problem);
        }
      }
      for (const message of messages) out.push(locator.problem(field.path, message));
    }
  }
  return out;
}
