/**
 * Config + current state → Plan, through an ordered list of small steps:
 * select services, resolve versions, resolve targets, drop what is already
 * live, order by needs, expand phases, estimate.
 */
import { Graph } from '../dag/graph.js';
import { MarshalError } from '../model/errors.js';
import {
  PLAN_FORMAT,
  type Plan,
  type PlannedHost,
  type PlannedService,
  type PlannedTarget,
} from '../model/plan.js';
import type { Project } from '../model/project.js';
import type { LiveTargets } from '../model/run.js';
import { didYouMean } from '../model/suggest.js';
import { isValidVersion } from '../model/version.js';
import { deliveryOf } from './delivery.js';
import { estimatePlan, type PhaseHistory } from './estimate.js';
import { deployPhases, rollbackPhases } from './phases.js';
import { batchSizes, groupOf, hasHosts, hostsFor } from './targets.js';

export interface PlanRequest {
  environment: string;
  kind?: Plan['kind'];
  /** Services to deploy; undefined means every service with hosts in the environment. */
  services?: string[];
  /** Desired versions by service (`--set svc=ver`). */
  set?: Record<string, string>;
  /** Desired version for every selected service without a `--set` (`--version`). */
  version?: string;
  rollbackOnFailure?: boolean;
  /**
   * `--force`: deploy every selected target again, even where it already runs the desired
   * version (its process is restarted) — the way out when what runs is not what was recorded.
   */
  force?: boolean;
  /** Overrides `defaults.concurrency` (the run-wide limit). */
  concurrency?: number;
  /**
   * Estimate the duration (default true). `marshal plan` shows the estimate; a deploy skips it,
   * since reading the history of thousands of steps would delay the run for a number nobody sees.
   */
  estimate?: boolean;
}

function selectServices(project: Project, request: PlanRequest): string[] {
  const { config } = project;
  const env = request.environment;
  const inEnv = Object.keys(config.services).filter((s) => hasHosts(config, env, s));
  if (request.services === undefined) return inEnv;
  for (const name of request.services) {
    if (config.services[name] === undefined) {
      throw new MarshalError(
        'ARGUMENT_INVALID',
        `--services: unknown service "${name}"${didYouMean(name, Object.keys(config.services))}`,
      );
    }
    if (!inEnv.includes(name)) {
      throw new MarshalError(
        'ARGUMENT_INVALID',
        `--services: service "${name}" has no hosts in ${env} (group "${groupOf(config, name)}")`,
      );
    }
  }
  return inEnv.filter((s) => request.services?.includes(s));
}

function resolveVersion(project: Project, request: PlanRequest, service: string): string {
  const version = request.set?.[service] ?? request.version ?? project.config.services[service]?.version;
  if (version === undefined) {
    throw new MarshalError('ARGUMENT_INVALID', `no version for service "${service}"`, {
      hint: `pass --set ${service}=<version> or --version <version>, or set services.${service}.version`,
    });
  }
  if (!isValidVersion(version)) {
    throw new MarshalError('ARGUMENT_INVALID', `invalid version "${version}" for service "${service}"`, {
      hint: 'versions use letters, digits, ".", "_", "+" and "-", starting with a letter or digit',
    });
  }
  return version;
}

/** Selected services in an order where each comes after what it needs. */
function orderByNeeds(project: Project, names: string[]): string[] {
  const all = Object.keys(project.config.services);
  const index = new Map(all.map((n, i) => [n, i]));
  const graph = new Graph(all.length);
  for (const name of all) {
    for (const need of project.config.services[name]?.needs ?? []) {
      const from = index.get(need);
      if (from !== undefined) graph.addEdge(from, index.get(name) as number);
    }
  }
  const selected = new Set(names);
  return graph
    .topologicalOrder()
    .map((v) => all[v] as string)
    .filter((n) => selected.has(n));
}

/**
 * What a changing service waits for: planned needs, looking through unchanged services. A
 * stack, not recursion: a chain of 60,000 unchanged services is as deep as it is long.
 */
function plannedNeeds(project: Project, service: string, planned: Set<string>): string[] {
  const needsOf = (name: string) => project.config.services[name]?.needs ?? [];
  const out: string[] = [];
  const seen = new Set<string>();
  // Reversed onto the stack, so needs are looked through in the order they are listed.
  const stack = [...needsOf(service)].reverse();
  for (let need = stack.pop(); need !== undefined; need = stack.pop()) {
    if (seen.has(need)) continue;
    seen.add(need);
    if (planned.has(need)) out.push(need);
    else for (const n of [...needsOf(need)].reverse()) stack.push(n);
  }
  return out;
}

function mostCommon(values: (string | null)[]): string | null {
  const counts = new Map<string | null, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  let best: string | null = null;
  let bestCount = -1;
  for (const [v, c] of counts) {
    if (c > bestCount) {
      best = v;
      bestCount = c;
    }
  }
  return best;
}

/** `maxFailures` as a count of targets: a number, or a percentage of the targets rounded down. */
function failureBudget(targets: number, spec: number | string): number {
  return typeof spec === 'number' ? spec : Math.floor((targets * Number(spec.slice(0, -1))) / 100);
}

/**
 * Checks a request against the project — environment, services, versions — and returns the
 * selected services, without reading any state. A deploy calls it before it opens the store,
 * so bad arguments change nothing.
 */
export function checkRequest(project: Project, request: PlanRequest): string[] {
  const { config } = project;
  const envName = request.environment;
  if (config.environments[envName] === undefined) {
    throw new MarshalError(
      'ARGUMENT_INVALID',
      `unknown environment "${envName}"${didYouMean(envName, Object.keys(config.environments))}`,
      { hint: `environments: ${Object.keys(config.environments).join(', ')}` },
    );
  }
  const selected = selectServices(project, request);
  for (const name of Object.keys(request.set ?? {})) {
    if (config.services[name] === undefined) {
      throw new MarshalError(
        'ARGUMENT_INVALID',
        `--set ${name}=…: unknown service "${name}"${didYouMean(name, Object.keys(config.services))}`,
      );
    }
    if (!selected.includes(name)) {
      const why = hasHosts(config, envName, name)
        ? 'add it to --services'
        : `it has no hosts in ${envName} (group "${groupOf(config, name)}")`;
      throw new MarshalError(
        'ARGUMENT_INVALID',
        `--set ${name}=…: "${name}" is not a selected service in ${envName}`,
        { hint: why },
      );
    }
  }
  for (const name of selected) resolveVersion(project, request, name);
  return selected;
}

export function buildPlan(
  project: Project,
  request: PlanRequest,
  live: LiveTargets,
  history: PhaseHistory = {},
): Plan {
  const { config } = project;
  const envName = request.environment;
  const selected = checkRequest(project, request);
  const env = config.environments[envName];
  if (env === undefined) throw new MarshalError('INTERNAL', `environment ${envName} vanished`);
  // Per service, where each live target sits in its arrays: no key to build per target (a fleet
  // may have 200,000 of them).
  const positions = new Map<string, Map<string, number>>();
  const positionsOf = (service: string): Map<string, number> => {
    let byTarget = positions.get(service);
    if (byTarget === undefined) {
      byTarget = new Map();
      const targets = live[service]?.targets ?? [];
      for (let i = 0; i < targets.length; i++) byTarget.set(targets[i] as string, i);
      positions.set(service, byTarget);
    }
    return byTarget;
  };

  const changing: { name: string; to: string; targets: PlannedTarget[]; unchanged: string[] }[] = [];
  const unchanged: Plan['unchanged'] = [];
  // Services of one group share its host objects: a fleet of 10,000 hosts is held once, not once per service.
  const hostsOfGroup = new Map<string, PlannedHost[]>();
  const hostsOf = (service: string): PlannedHost[] => {
    // Local and ssh services of one group resolve its hosts differently (roots, connection settings).
    const group = `${groupOf(config, service)}\u0000${config.services[service]?.provider ?? config.defaults.provider}`;
    let hosts = hostsOfGroup.get(group);
    if (hosts === undefined) {
      hosts = hostsFor(config, project.projectDir, envName, service);
      hostsOfGroup.set(group, hosts);
    }
    return hosts;
  };
  for (const name of orderByNeeds(project, selected)) {
    const to = resolveVersion(project, request, name);
    const targets: PlannedTarget[] = [];
    const same: string[] = [];
    const state = live[name];
    const at = positionsOf(name);
    for (const host of hostsOf(name)) {
      const i = at.get(host.name);
      const from = i === undefined ? null : (state?.versions[i] ?? null);
      const healthy = i === undefined || state?.healthy[i] !== false;
      // A target a failed or interrupted run left unhealthy is deployed again, even at the same version.
      if (from === to && healthy && request.force !== true) same.push(host.name);
      else targets.push({ host, from });
    }
    if (targets.length === 0) unchanged.push({ service: name, version: to });
    else changing.push({ name, to, targets, unchanged: same });
  }

  const plannedNames = new Set(changing.map((c) => c.name));
  const services: PlannedService[] = changing.map((c) => {
    const svc = config.services[c.name];
    if (svc === undefined) throw new MarshalError('INTERNAL', `service ${c.name} vanished`);
    const strategy = svc.strategy;
    return {
      name: c.name,
      group: groupOf(config, c.name),
      provider: svc.provider ?? config.defaults.provider,
      baseDir: project.serviceDirs[c.name] ?? project.projectDir,
      from: mostCommon(c.targets.map((t) => t.from)),
      to: c.to,
      needs: plannedNeeds(project, c.name, plannedNames),
      targets: c.targets,
      unchangedTargets: c.unchanged,
      phases: deployPhases(config, svc),
      rollback: rollbackPhases(config, svc),
      batches: batchSizes(c.targets.length, strategy?.type === 'rolling' ? strategy.batchSize : undefined),
      concurrency: svc.concurrency ?? null,
      pauseMs: strategy?.type === 'rolling' ? strategy.pause : 0,
      delivery: deliveryOf(
        config,
        envName,
        c.name,
        svc,
        hostsOf(c.name).map((h) => {
          const i = positionsOf(c.name).get(h.name);
          return i === undefined ? null : (live[c.name]?.slots[i] ?? null);
        }),
      ),
      maxFailures: strategy?.type === 'rolling' ? failureBudget(c.targets.length, strategy.maxFailures) : 0,
    };
  });

  const plan: Plan = {
    format: PLAN_FORMAT,
    kind: request.kind ?? 'deploy',
    environment: envName,
    project: config.project ?? null,
    configDigest: project.digest,
    projectDir: project.projectDir,
    variables: { ...config.defaults.variables, ...env.variables },
    services,
    unchanged,
    limits: {
      global: request.concurrency ?? config.defaults.concurrency,
      environment: env.concurrency ?? null,
    },
    rollbackOnFailure: request.rollbackOnFailure ?? true,
    ...(request.force === true ? { force: true } : {}),
    estimate: null,
  };
  if (request.estimate !== false) plan.estimate = estimatePlan(plan, history);
  return plan;
}
