/** The report of the inspect script (process-scripts.ts) as a TargetInspection. Pure. */
import type { InspectSpec, TargetInspection } from '../../model/provider.js';
import { shortCommandLine } from '../procfs.js';
import { first, type Report, versionOfLink } from './outcomes.js';

const field = (value: string | undefined): string | null =>
  value === undefined || value === '-' ? null : value;

export function inspection(report: Report, spec: InspectSpec): TargetInspection {
  const link = first(report, 'current');
  const recorded = first(report, 'recorded');
  const alive = first(report, 'alive');
  const result: TargetInspection = {
    current: link === undefined ? null : versionOfLink(link),
    recorded:
      recorded === undefined || !/^\d+$/.test(recorded)
        ? null
        : { pid: Number(recorded), version: first(report, 'version') || null, alive: alive === recorded },
    strays:
      spec.process === null
        ? []
        : (report.get('stray') ?? []).map((s) => {
            const [pid, version] = s.split(' ');
            return { pid: Number(pid), version: version || null };
          }),
    listener: null,
  };
  const listener = first(report, 'listener');
  if (listener !== undefined) {
    const [pid, pgid, version, ...command] = listener.split(' ');
    const holder = field(pid);
    result.listener = {
      pid: holder === null ? null : Number(holder),
      command: shortCommandLine(command.join(' ').trim()) || null,
      version: field(version),
      ours: alive !== undefined && field(pgid) === alive,
    };
  }
  return result;
}
