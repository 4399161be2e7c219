/**
 * The composition root: builds, once per command, what the engine needs —
 * project, store, providers, clock, identity. No singletons.
 */
import { existsSync, statSync } from 'node:fs';
import { hostname, userInfo } from 'node:os';
import { dirname, resolve } from 'node:path';
import { formatProblem, loadProject, loadProjectCached, saveProjectCache } from '../config/index.js';
import { type Identity, type RunnerDeps, systemClock } from '../engine/index.js';
import type { RunObserver } from '../engine/journal.js';
import { MarshalError } from '../model/errors.js';
import type { Plan } from '../model/plan.js';
import type { ConfigProblem, Project } from '../model/project.js';
import type { RunRecord } from '../model/run.js';
import type { RunStore } from '../model/store.js';
import type { Traffic } from '../model/traffic.js';
import { checkArtifacts, type PathKind } from '../plan/index.js';
import { runAnalysis } from '../providers/analysis/index.js';
import { createProviders } from '../providers/index.js';
import { isAlive } from '../providers/process.js';
import { createRouter } from '../providers/routers/index.js';
import { openStore, storePath } from '../store/index.js';
import type { GlobalOptions } from './output.js';

export function identity(): Identity {
  let user = 'unknown';
  try {
    user = userInfo().username;
  } catch {
    // No passwd entry (containers): keep "unknown".
  }
  return {
    actor: process.env.MARSHAL_ACTOR ?? `${user}@${hostname()}`,
    pid: process.pid,
    hostname: hostname(),
  };
}

export function configPath(options: GlobalOptions): string {
  return resolve(options.file);
}

/**
 * Loads the project; config problems are formatted `file:line:column: path: message` for
 * printing. With `cached`, a project validated before from the very same files is reused
 * (commands that go on to deploy refresh that cache with {@link rememberProject}); without,
 * everything is checked in full (`validate`).
 */
export async function readProject(options: GlobalOptions, cached = false): Promise<Project> {
  return (await readProjectFrom(options, cached)).project;
}

/** readProject, telling whether the project came from the cache. */
export async function readProjectFrom(
  options: GlobalOptions,
  cached: boolean,
): Promise<{ project: Project; fromCache: boolean }> {
  try {
    const file = configPath(options);
    return cached ? await loadProjectCached(file) : { project: await loadProject(file), fromCache: false };
  } catch (error) {
    if (error instanceof MarshalError && error.code === 'CONFIG_INVALID') {
      const problems = (error.details?.problems ?? []) as ConfigProblem[];
      throw new MarshalError(error.code, error.message, {
        details: { ...error.details, formatted: problems.map((p) => formatProblem(p, process.cwd())) },
        ...(error.hint ? { hint: error.hint } : {}),
      });
    }
    throw error;
  }
}

function storeSpec(options: GlobalOptions): string | undefined {
  return options.store ?? process.env.MARSHAL_STORE;
}

/** Opens the store beside the config. Read-only commands pass create: false and never create files. */
export function openProjectStore(options: GlobalOptions, create: boolean): Promise<RunStore> {
  // isAlive counts a zombie as dead: a run kill -9'd a moment ago gives up its lock at once.
  return openStore(storeSpec(options), dirname(configPath(options)), { create, pidAlive: isAlive });
}

/** Whether the store exists yet: a first deploy creates it. */
export function storeExists(options: GlobalOptions): boolean {
  const path = storePath(storeSpec(options), dirname(configPath(options)));
  return path === null || existsSync(path);
}

function pathKind(path: string): PathKind {
  const stat = statSync(path, { throwIfNoEntry: false });
  return stat === undefined ? 'missing' : stat.isDirectory() ? 'directory' : 'other';
}

/**
 * Fails (CONFIG_INVALID, exit 2) when a directory the plan's uploads read is missing, naming
 * the service and the path: found here, before anything changes, and not at upload, after other
 * services were already switched.
 */
export function checkLocalArtifacts(plan: Plan): void {
  checkArtifacts(plan, pathKind);
}

/** Caches a project that is about to be deployed: the next command reuses it while the files stay the same. */
export function rememberProject(project: Project): void {
  saveProjectCache(project);
}

/** The store when one exists; undefined when nothing has run yet (nothing is created). */
export async function openExistingStore(options: GlobalOptions): Promise<RunStore | undefined> {
  try {
    return await openProjectStore(options, false);
  } catch (error) {
    // Only the default store may be missing (nothing has run yet); a store named explicitly must exist.
    if (error instanceof MarshalError && error.code === 'NOT_FOUND' && storeSpec(options) === undefined)
      return undefined;
    throw error;
  }
}

/**
 * Checks an environment name given to a read-only command: against the config when it can be
 * read, otherwise against the environments the store has runs for.
 */
export async function checkEnvironment(
  options: GlobalOptions,
  store: RunStore | undefined,
  environment: string | undefined,
): Promise<void> {
  if (environment === undefined) return;
  let known: string[];
  try {
    known = Object.keys((await readProject(options, true)).config.environments);
  } catch {
    known = [...new Set((await store?.listRuns({ limit: 1000 }))?.map((r) => r.environment) ?? [])];
  }
  if (!known.includes(environment)) {
    throw new MarshalError('ARGUMENT_INVALID', `unknown environment "${environment}"`, {
      hint: known.length > 0 ? `environments: ${known.join(', ')}` : 'no environment is known yet',
    });
  }
}

export function leaseMs(): number {
  const fromEnv = Number(process.env.MARSHAL_LOCK_LEASE_MS);
  return Number.isInteger(fromEnv) && fromEnv > 0 ? fromEnv : 30_000;
}

/** Routers and analyses from providers/, for blue-green and canary services. */
const traffic: Traffic = {
  router: (_name, config, projectDir) => createRouter(config, projectDir),
  analyze: (name, spec, io, { taken, onMeasurement }) =>
    runAnalysis(name, spec, io, { taken, onMeasurement }),
};

export async function runnerDeps(
  store: RunStore,
  observer: RunObserver,
): Promise<RunnerDeps & { close(): Promise<void> }> {
  const providers = createProviders();
  return {
    store,
    providers: providers.get,
    clock: systemClock,
    observer,
    traffic,
    identity: identity(),
    leaseMs: leaseMs(),
    close: () => providers.closeAll(),
  };
}

/**
 * Opens the store, finds the run `ref` names (`12`, `#12`, `last`) and hands both to `work`;
 * the store is closed afterwards. The reference's syntax is checked before anything is opened.
 */
export async function withRun<T>(
  options: GlobalOptions,
  ref: string,
  work: (store: RunStore, run: RunRecord) => Promise<T>,
): Promise<T> {
  const parsed = parseRunRef(ref);
  const store = await openProjectStore(options, false);
  try {
    const runId = await resolveRunId(store, parsed);
    const run = await store.getRun(runId);
    if (run === undefined)
      throw new MarshalError('NOT_FOUND', `no run #${runId}`, { hint: 'see `marshal history`' });
    return await work(store, run);
  } finally {
    await store.close();
  }
}

/** Checks a run reference's syntax — `12`, `#12` or `last` — before anything is opened. */
export function parseRunRef(ref: string): number | 'last' {
  if (ref === 'last' || ref === 'latest') return 'last';
  const id = Number(ref.replace(/^#/, ''));
  if (!/^#?\d+$/.test(ref) || !Number.isSafeInteger(id) || id <= 0) {
    throw new MarshalError('ARGUMENT_INVALID', `"${ref}" is not a run id`, {
      hint: 'use a number from `marshal history`, or `last`',
    });
  }
  return id;
}

/** Resolves a run reference against the store (`last` is the newest run). */
export async function resolveRunId(store: RunStore, ref: string | number | 'last'): Promise<number> {
  const parsed = typeof ref === 'number' ? ref : parseRunRef(ref);
  if (parsed !== 'last') return parsed;
  const [latest] = await store.listRuns({ limit: 1 });
  if (latest === undefined) throw new MarshalError('NOT_FOUND', 'there are no runs yet');
  return latest.id;
}
