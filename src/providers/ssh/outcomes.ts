/**
 * What the `key=value` report lines of the remote scripts mean: the status
 * answers `isDone` needs, the log lines a step prints (the local provider's
 * wording), and the refusals that no retry can fix. Pure.
 */
import { formatDuration } from '../../model/duration.js';
import { MarshalError } from '../../model/errors.js';
import { isValidVersion } from '../../model/version.js';
import { describeHolder, type PortHolder, shortCommandLine } from '../procfs.js';
import { displayPath } from './layout.js';

/** A script's report: each key with its values in order (`pruned=` repeats). */
export type Report = Map<string, string[]>;

/** The `key=value` lines of a script's stdout; other lines are ignored. */
export function parseReport(lines: readonly string[]): Report {
  const report: Report = new Map();
  for (const line of lines) {
    const eq = line.indexOf('=');
    if (eq <= 0 || !/^[a-z]+$/.test(line.slice(0, eq))) continue;
    const key = line.slice(0, eq);
    report.set(key, [...(report.get(key) ?? []), line.slice(eq + 1)]);
  }
  return report;
}

export function first(report: Report, key: string): string | undefined {
  return report.get(key)?.[0];
}

/** Status: `current` links to releases/<version>, which exists. */
export function currentIs(status: Report, version: string): boolean {
  return first(status, 'current') === `releases/${version}` && status.has('releasedir');
}

/** Status: the recorded process is alive and runs `version`. */
export function runs(status: Report, version: string): boolean {
  return status.has('alive') && first(status, 'version') === version;
}

/** The version a `current` link names (`releases/<v>`), or null when it is not one of ours. */
export function versionOfLink(link: string): string | null {
  const version = /^(?:.*\/)?releases\/([^/]+)\/?$/.exec(link)?.[1];
  return version !== undefined && isValidVersion(version) ? version : null;
}

/** Log lines of a stop (start, restore): `stopping pid 12 (v1)`, `pid 12 did not stop within 3s: killed`. */
export function stopLines(report: Report, stopTimeoutMs: number): string[] {
  const stopping = first(report, 'stopping');
  if (stopping === undefined) return [];
  const [pid, version] = stopping.split(' ');
  const lines = [`stopping pid ${pid} (${version || 'unknown version'})`];
  if (report.has('killed'))
    lines.push(`pid ${pid} did not stop within ${formatDuration(stopTimeoutMs)}: killed`);
  return lines;
}

/** Log lines of a switch: the link change, then what was pruned (oldest first). */
export function switchLines(report: Report, version: string, keep: number): string[] {
  const previous = versionOfLink(first(report, 'previous') ?? '');
  const lines = [
    report.has('already')
      ? `current → ${version} (already)`
      : `current → ${version} (was ${previous ?? 'none'})`,
  ];
  for (const failed of report.get('prunefailed') ?? []) lines.push(`could not prune release ${failed}`);
  // The script prunes newest first.
  const pruned = [...(report.get('pruned') ?? [])].reverse();
  if (pruned.length > 0) lines.push(`pruned ${pruned.join(', ')} (keeping ${keep})`);
  return lines;
}

/** Where a refusal happened: the service directory on a host. */
export interface Place {
  service: string;
  serviceDir: string;
  host: string;
}

/** The non-retryable error a failed switch reported, or null for an unexpected failure. */
export function switchRefusal(report: Report, version: string, at: Place): MarshalError | null {
  const dir = displayPath(at.serviceDir);
  if (report.has('missing')) {
    return new MarshalError(
      'PROVIDER_ERROR',
      `release ${version} is missing or incomplete in ${dir}/releases on ${at.host}`,
      { retryable: false, hint: 'it was pruned or never uploaded; deploy it again' },
    );
  }
  if (report.has('notalink')) {
    return new MarshalError(
      'PROVIDER_ERROR',
      `cannot point ${dir}/current at releases/${version} on ${at.host}`,
      {
        retryable: false,
        hint: `${dir}/current must be a symlink (or absent); move whatever is there away`,
      },
    );
  }
  return null;
}

/**
 * Log lines of the unrecorded instances a start or removal stopped (`stray=<pgid> <version>`)
 * and of an unmarked listener of ours on the port (`unrecorded=<pid> <cwd>`).
 */
export function strayLines(report: Report, stopTimeoutMs: number, port: number | null): string[] {
  const lines: string[] = [];
  const killed = new Set(report.get('straykilled') ?? []);
  for (const stray of report.get('stray') ?? []) {
    const [pid = '', version] = stray.split(' ');
    lines.push(
      `stopping pid ${pid} (${version || 'unknown version'}): started for this service but never recorded (an interrupted run)`,
    );
    if (killed.has(pid))
      lines.push(`pid ${pid} did not stop within ${formatDuration(stopTimeoutMs)}: killed`);
  }
  for (const found of report.get('unrecorded') ?? []) {
    const space = found.indexOf(' ');
    lines.push(
      `stopping pid ${found.slice(0, space)} on port ${port}: runs from ${found.slice(space + 1)} but was never recorded`,
    );
  }
  return lines;
}

/**
 * The port's holder a `<pid> <command>` report value names (the pid is empty when this user
 * cannot see it), its command line shortened as the local provider shortens it.
 */
export function parseHolder(value: string): PortHolder {
  const space = value.indexOf(' ');
  const pid = space < 0 ? value : value.slice(0, space);
  const command = space < 0 ? '' : value.slice(space + 1).trim();
  return { pid: pid === '' ? null : Number(pid), command: command === '' ? null : shortCommandLine(command) };
}

/** The non-retryable error a failed start reported, or null for an unexpected failure. */
export function startRefusal(report: Report, at: Place, port: number | null): MarshalError | null {
  const held = first(report, 'portheld');
  if (held !== undefined) {
    const holder = parseHolder(held);
    return new MarshalError(
      'PORT_IN_USE',
      `cannot start ${at.service} on ${at.host}: port ${port} is held by ${describeHolder(holder)}, not by a process Marshal started for ${at.service}`,
      { details: { port, host: at.host, holderPid: holder.pid, holderCommand: holder.command } },
    );
  }
  if (!report.has('nocurrent')) return null;
  return new MarshalError(
    'PROVIDER_ERROR',
    `cannot start ${at.service} on ${at.host}: ${displayPath(at.serviceDir)}/current does not resolve`,
    { retryable: false, hint: 'a release must be switched to before the service is started' },
  );
}
