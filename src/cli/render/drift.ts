/**
 * Recorded versus real, for `marshal status --probe`: what a target really
 * serves and every way it differs from what the store recorded. Pure.
 */
import type { InspectSpec, TargetInspection } from '../../model/provider.js';

export interface ProbeResult {
  /** What the store says is live. */
  recorded: string;
  spec: InspectSpec;
  /** Null when the provider cannot inspect targets (simulate). */
  inspection: TargetInspection | null;
  /** The result of one probe of each health check; null when the service has none. */
  health: { ok: true } | { ok: false; reason: string } | null;
  /** Whether the service ships a release (`current` must link to the recorded version). */
  hasRelease: boolean;
}

/** The version that really answers: the port's listener, else the recorded process; null when unknown or nothing. */
export function liveVersion(r: ProbeResult): string | null {
  const i = r.inspection;
  if (i === null) return null;
  if (i.listener !== null) return i.listener.version;
  if (r.spec.process !== null) return i.recorded?.alive ? i.recorded.version : null;
  return i.current;
}

function holderText(l: NonNullable<TargetInspection['listener']>): string {
  const who =
    l.pid === null
      ? 'a process of another user'
      : `pid ${l.pid}${l.command === null ? '' : ` "${l.command}"`}`;
  return l.version === null ? who : `${who} (${l.version})`;
}

/** Every difference between the record and the target; empty when it serves what was recorded. */
export function driftOf(r: ProbeResult): string[] {
  const i = r.inspection;
  if (i === null) return [];
  const drift: string[] = [];
  if (r.hasRelease && i.current !== r.recorded)
    drift.push(i.current === null ? 'no release linked' : `current links to ${i.current}`);
  const process = r.spec.process;
  if (process !== null) {
    const rec = i.recorded;
    if (rec === null) drift.push('no process recorded');
    else if (!rec.alive) drift.push(`recorded pid ${rec.pid} is not running`);
    else if (rec.version !== r.recorded)
      drift.push(`pid ${rec.pid} runs ${rec.version ?? 'an unknown version'}`);
    for (const s of i.strays)
      drift.push(`unrecorded instance pid ${s.pid} (${s.version ?? 'unknown version'})`);
    if (process.port !== null) {
      if (i.listener === null) drift.push(`nothing listens on port ${process.port}`);
      else if (!i.listener.ours) drift.push(`port ${process.port} is answered by ${holderText(i.listener)}`);
    }
  }
  if (r.health !== null && !r.health.ok) drift.push(`health: ${r.health.reason}`);
  return drift;
}
