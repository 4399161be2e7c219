/** A read-only view of a local target, for tests and `marshal status` (`--probe`). */
import { realpathSync } from 'node:fs';
import type { InspectSpec, TargetInspection } from '../../model/provider.js';
import { isValidVersion } from '../../model/version.js';
import { environVariable, INSTANCE_VARIABLE, portHolder, processGroup, workingDirectory } from '../procfs.js';
import { type LocalLayout, layout } from './layout.js';
import { currentVersion } from './releases.js';
import { readProcess, strayGroups } from './service.js';

export interface LocalTargetStatus {
  /** Version `current` points at; null when nothing is deployed. */
  current: string | null;
  /** Pid recorded in run/service.pid. */
  pid: number | null;
  /** True when that pid is alive and still the process Marshal started. */
  alive: boolean;
  /** Version the recorded process was started with. */
  version: string | null;
}

/** Reads what is deployed and running for `service` under the deploy root `root`. */
export async function readLocalTarget(root: string, service: string): Promise<LocalTargetStatus> {
  const l = layout(root, service);
  const [current, recorded] = await Promise.all([currentVersion(l), readProcess(l)]);
  return { current, pid: recorded.pid, alive: recorded.alive, version: recorded.version };
}

/** What really runs for the service laid out as `l`: its link, its processes, its port's listener. */
export async function inspectLocal(l: LocalLayout, spec: InspectSpec): Promise<TargetInspection> {
  const [current, recorded] = await Promise.all([currentVersion(l), readProcess(l)]);
  const inspection: TargetInspection = {
    current,
    recorded:
      recorded.pid === null ? null : { pid: recorded.pid, version: recorded.version, alive: recorded.alive },
    strays: spec.process === null ? [] : strayGroups(l, recorded),
    listener: null,
  };
  const port = spec.process?.port ?? null;
  const holder = port === null ? null : portHolder(port);
  if (holder === null) return inspection;
  const pid = holder.pid;
  const ours = pid !== null && recorded.alive && processGroup(pid) === recorded.pid;
  inspection.listener = {
    pid,
    command: holder.command,
    version: pid === null ? null : versionOf(l, pid),
    ours,
  };
  return inspection;
}

/** The version a process runs: its marker's MARSHAL_VERSION, else the release it runs from. */
function versionOf(l: LocalLayout, pid: number): string | null {
  if (environVariable(pid, INSTANCE_VARIABLE) === l.instance) return environVariable(pid, 'MARSHAL_VERSION');
  const cwd = workingDirectory(pid);
  let releases = l.releasesDir;
  try {
    releases = realpathSync(l.releasesDir);
  } catch {
    // No releases: the cwd cannot be in one.
  }
  if (!cwd?.startsWith(`${releases}/`)) return null;
  const version = cwd.slice(releases.length + 1).split('/')[0] ?? '';
  return isValidVersion(version) ? version : null;
}
