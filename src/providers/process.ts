/**
 * Process liveness and process-group termination. Every child Marshal starts
 * leads its own process group (spawned `detached`), so stopping it stops
 * everything it started too: `sh -c`, npm and their children.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { abortError } from './abort.js';

/** Grace period between SIGTERM and SIGKILL when a command is aborted. */
export const KILL_GRACE_MS = 2000;
const POLL_MS = 20;

/**
 * True when `pid` is a running process. A zombie (exited, not yet reaped —
 * common when PID 1 of a container does not reap) counts as gone.
 */
export function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (err) {
    // EPERM: it exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  return procStat(pid)?.state !== 'Z';
}

/**
 * The kernel's start time of `pid` (Linux), or null where unknown. Recorded
 * beside a pid file so a pid reused after a reboot is not mistaken for ours.
 */
export function processStartTime(pid: number): string | null {
  return procStat(pid)?.startTime ?? null;
}

function procStat(pid: number): { state: string; pgrp: number; startTime: string } | null {
  if (process.platform !== 'linux') return null;
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // The command name (field 2) may contain spaces and parentheses: split after the last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const [state, , pgrp] = fields;
  const startTime = fields[19];
  if (state === undefined || pgrp === undefined || startTime === undefined) return null;
  return { state, pgrp: Number(pgrp), startTime };
}

/** Sends `sig` to the process group led by `pid` (or to `pid` alone if it leads none). */
export function signalGroup(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(-pid, sig);
    return;
  } catch {
    // No such group: fall through to the process itself.
  }
  try {
    process.kill(pid, sig);
  } catch {
    // Already gone.
  }
}

/** True while any process of the group led by `pgid` exists. */
export function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** True while the group's leader lives or other live members of its group remain. */
function anyAlive(pid: number): boolean {
  if (isAlive(pid)) return true;
  if (!groupAlive(pid)) return false;
  // The group still answers but its leader is gone or a zombie: on Linux, look
  // for a live member, so a zombie that nobody reaps does not cost a full grace period.
  return process.platform === 'linux' ? liveGroupMember(pid) : true;
}

function liveGroupMember(pgid: number): boolean {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return true;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = procStat(Number(entry));
    if (stat !== null && stat.pgrp === pgid && stat.state !== 'Z') return true;
  }
  return false;
}

/** Resolves when `done()` is true or `ms` has passed; returns `done()`. Polls, so it works for non-children. */
export async function waitUntil(done: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!done()) {
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  return true;
}

/**
 * Stops the process group led by `pid`: SIGTERM, up to `graceMs` for it to
 * exit, then SIGKILL. When `signal` aborts during the grace period the group
 * is killed at once and the abort reason is thrown (the stop still completes).
 * Returns true when SIGKILL was needed.
 */
export async function terminateGroup(pid: number, graceMs: number, signal?: AbortSignal): Promise<boolean> {
  signalGroup(pid, 'SIGTERM');
  const exited = await waitUntil(() => !anyAlive(pid) || signal?.aborted === true, graceMs);
  const needKill = !exited || anyAlive(pid);
  if (needKill) {
    signalGroup(pid, 'SIGKILL');
    await waitUntil(() => !isAlive(pid), KILL_GRACE_MS);
  }
  if (signal?.aborted) throw abortError(signal);
  return needKill;
}
