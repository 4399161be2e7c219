/**
 * The supervised process of a local service: started detached (its own
 * session, so it outlives the CLI), recorded in run/, stopped by process group.
 */
import { spawn } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import { formatDuration } from '../../model/duration.js';
import { MarshalError } from '../../model/errors.js';
import type { ProcessSpec, StepIO, TargetContext } from '../../model/provider.js';
import { throwIfAborted } from '../abort.js';
import { isAlive, processStartTime, terminateGroup } from '../process.js';
import { shortCommand } from '../shell.js';
import { commandEnv } from './env.js';
import { readTextOrNull, removeIfPresent, writeFileAtomic } from './fsops.js';
import type { LocalLayout } from './layout.js';

/** Stop grace when no process spec says otherwise (restore to nothing of a service without `start:`). */
export const DEFAULT_STOP_TIMEOUT_MS = 5000;

export interface RecordedProcess {
  pid: number | null;
  /** Version the recorded process was started with. */
  version: string | null;
  /** True when the recorded pid is alive and is still the process we started. */
  alive: boolean;
}

/** What run/ says about the service's process, checked against the live system. */
export async function readProcess(l: LocalLayout): Promise<RecordedProcess> {
  const [pidText, version, startTime] = await Promise.all([
    readTextOrNull(l.pidFile),
    readTextOrNull(l.versionFile),
    readTextOrNull(l.startTimeFile),
  ]);
  const pid = pidText !== null && /^\d+$/.test(pidText) ? Number(pidText) : null;
  return { pid, version: version || null, alive: pid !== null && isOurs(pid, startTime) };
}

// A pid file outlives reboots; its pid may now belong to anything. When the
// kernel start time was recorded and differs, the process is not ours.
function isOurs(pid: number, recordedStart: string | null): boolean {
  if (!isAlive(pid)) return false;
  if (recordedStart === null || recordedStart === '') return true;
  const actual = processStartTime(pid);
  return actual === null || actual === recordedStart;
}

/** True when the recorded process is alive and runs `version`. */
export async function runsVersion(l: LocalLayout, version: string): Promise<boolean> {
  const recorded = await readProcess(l);
  return recorded.alive && recorded.version === version;
}

/**
 * Stops the recorded process (SIGTERM to its group, SIGKILL after
 * `stopTimeoutMs`) and forgets it. An abort kills it at once and throws.
 */
export async function stopService(l: LocalLayout, stopTimeoutMs: number, io: StepIO): Promise<void> {
  const recorded = await readProcess(l);
  if (recorded.pid !== null && recorded.alive) {
    io.log(`stopping pid ${recorded.pid} (${recorded.version ?? 'unknown version'})`, 'info');
    const killed = await terminateGroup(recorded.pid, stopTimeoutMs, io.signal);
    if (killed)
      io.log(`pid ${recorded.pid} did not stop within ${formatDuration(stopTimeoutMs)}: killed`, 'info');
  }
  // The pid file goes first: a crash between these leaves no claim on a stranger's pid.
  await removeIfPresent(l.pidFile);
  await removeIfPresent(l.startTimeFile);
  await removeIfPresent(l.versionFile);
}

/**
 * (Re)starts the service from `current`: stops the recorded process, spawns
 * `/bin/sh -c <command>` detached with output appended to logs/service.log,
 * and records pid, start time and version (the pid file last: it commits).
 */
export async function startService(
  l: LocalLayout,
  spec: ProcessSpec,
  target: TargetContext,
  io: StepIO,
): Promise<number> {
  await stopService(l, spec.stopTimeoutMs, io);
  throwIfAborted(io.signal);
  let cwd: string;
  try {
    cwd = await fsp.realpath(l.current);
  } catch (cause) {
    throw new MarshalError(
      'PROVIDER_ERROR',
      `cannot start ${target.service}: ${l.current} does not resolve`,
      {
        retryable: false,
        hint: 'a release must be switched to before the service is started',
        cause,
      },
    );
  }
  await Promise.all([fsp.mkdir(l.runDir, { recursive: true }), fsp.mkdir(l.logsDir, { recursive: true })]);

  const env = commandEnv(process.env, target, spec.version, cwd, spec.env);
  if (spec.port !== null) env.PORT = String(spec.port);
  const log = await fsp.open(l.logFile, 'a');
  let pid: number;
  try {
    await log.write(
      `--- ${new Date().toISOString()} marshal: starting ${spec.version}: ${shortCommand(spec.command)}\n`,
    );
    const child = spawn('/bin/sh', ['-c', spec.command], {
      cwd,
      env,
      detached: true,
      stdio: ['ignore', log.fd, log.fd],
    });
    const failed = await new Promise<Error | null>((resolve) => {
      child.once('spawn', () => resolve(null));
      child.once('error', resolve);
    });
    if (failed !== null || child.pid === undefined) {
      throw new MarshalError(
        'PROVIDER_ERROR',
        `cannot start ${target.service}: ${failed?.message ?? 'no pid'}`,
        {
          cause: failed,
        },
      );
    }
    // The service must outlive this process: do not keep the event loop (or the CLI) waiting for it.
    child.unref();
    pid = child.pid;
  } finally {
    await log.close();
  }
  await writeFileAtomic(l.versionFile, `${spec.version}\n`);
  await writeFileAtomic(l.startTimeFile, `${processStartTime(pid) ?? ''}\n`);
  await writeFileAtomic(l.pidFile, `${pid}\n`);
  io.log(`started ${spec.version} as pid ${pid}; output → ${l.logFile}`, 'info');
  return pid;
}
