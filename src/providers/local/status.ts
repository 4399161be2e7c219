/** A read-only view of a local target, for tests and `marshal status`. */
import { layout } from './layout.js';
import { currentVersion } from './releases.js';
import { readProcess } from './service.js';

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
