/**
 * The local directories a plan's uploads read. The `local` and `ssh`
 * providers copy a release from `artifact:` (rendered with the planned
 * version: `build/api-{{ version }}`), and a missing one was found only at
 * upload, after other services had been switched and restarted. `plan` and
 * `deploy` check them first, through the caller's view of the file system:
 * this layer does no I/O.
 */
import { resolve } from 'node:path';
import { MarshalError } from '../model/errors.js';
import type { Phase, Plan } from '../model/plan.js';
import type { Config } from '../model/schema.js';
import { placeholders, render } from '../model/template.js';
import { scopeFor } from './render.js';

/** What is at a path: what the caller's file system says. */
export type PathKind = 'directory' | 'other' | 'missing';

/** One directory a service's uploads read: as rendered from `artifact:`, and resolved. */
export interface LocalArtifact {
  service: string;
  artifact: string;
  path: string;
}

/** Providers whose upload copies a local directory (`simulate` only waits). */
const COPIES_LOCAL_DIRECTORY = new Set(['local', 'ssh']);

/**
 * Whether any of `services` uploads from a local directory: only then is a plan worth making to
 * check artifacts before anything else (a first deploy, before its store exists).
 */
export function readsLocalArtifacts(config: Config, services: readonly string[]): boolean {
  return services.some((name) => {
    const service = config.services[name];
    return (
      service?.artifact !== undefined &&
      COPIES_LOCAL_DIRECTORY.has(service.provider ?? config.defaults.provider)
    );
  });
}

/** Placeholders whose value is the same on every target of a service. */
function samePerService(name: string): boolean {
  return name === 'version' || name === 'service' || name === 'environment' || name.startsWith('env.');
}

/**
 * Every directory the plan's uploads read, once per service — rendered as the upload renders
 * it (plan/render.ts, actionFor), per target when the template names something of the target.
 */
export function localArtifacts(plan: Plan): LocalArtifact[] {
  const out: LocalArtifact[] = [];
  for (const service of plan.services) {
    if (!COPIES_LOCAL_DIRECTORY.has(service.provider)) continue;
    const upload = service.phases.find((p): p is Extract<Phase, { kind: 'upload' }> => p.kind === 'upload');
    if (upload === undefined) continue;
    const perTarget = !placeholders(upload.source).every(samePerService);
    const targets = perTarget ? service.targets : service.targets.slice(0, 1);
    const seen = new Set<string>();
    for (const target of targets) {
      const artifact = render(upload.source, scopeFor(plan, service, target, 'deploy'));
      const path = resolve(service.baseDir, artifact);
      if (seen.has(path)) continue;
      seen.add(path);
      out.push({ service: service.name, artifact, path });
    }
  }
  return out;
}

/**
 * Throws CONFIG_INVALID (exit 2) naming every artifact directory the plan would upload from
 * that is not there — before a run exists or anything is changed.
 */
export function checkArtifacts(plan: Plan, kindOf: (path: string) => PathKind): void {
  const missing: string[] = [];
  for (const { service, artifact, path } of localArtifacts(plan)) {
    const kind = kindOf(path);
    if (kind === 'directory') continue;
    const what = kind === 'missing' ? 'not found' : 'is not a directory';
    missing.push(`service ${service}: artifact ${artifact} ${what} (${path})`);
  }
  if (missing.length === 0) return;
  const [first] = missing;
  const message = missing.length === 1 ? (first as string) : `${missing.length} artifacts not found`;
  throw new MarshalError('CONFIG_INVALID', message, {
    hint: 'build the artifact first, or correct `artifact:` in the config; nothing was changed',
    details: { artifacts: missing, ...(missing.length > 1 ? { formatted: missing } : {}) },
  });
}
