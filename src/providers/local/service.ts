/**
 * The supervised process of a local service: started detached (its own
 * session, so it outlives the CLI), recorded in run/, stopped by process group.
 *
 * Every process started here carries MARSHAL_INSTANCE (procfs.ts) in its
 * environment from its first instruction, before anything is recorded: a
 * Marshal killed between the spawn and the pid file leaves a process that the
 * next start, stop or restore finds and stops. Nothing starts beside a
 * listener on the service's port, ours or not.
 */
import { spawn } from 'node:child_process';
import { promises as fsp, realpathSync } from 'node:fs';
import { formatDuration } from '../../model/duration.js';
import { MarshalError } from '../../model/errors.js';
import type { ProcessSpec, StepIO, TargetContext } from '../../model/provider.js';
import { sleep, throwIfAborted } from '../abort.js';
import { crashPoint } from '../fault.js';
import { isAlive, processStartTime, terminateGroup } from '../process.js';
import {
  describeHolder,
  groupsOf,
  INSTANCE_VARIABLE,
  markedProcesses,
  portHolder,
  processGroup,
  SERVICE_WRAPPER,
  workingDirectory,
} from '../procfs.js';
import { shortCommand } from '../shell.js';
import { commandEnv } from './env.js';
import { readTextOrNull, removeIfPresent, writeFileAtomic } from './fsops.js';
import type { LocalLayout } from './layout.js';
import { exitedError } from './service-exit.js';

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
 * Process groups of this service that run unrecorded: started by a Marshal that died before
 * it wrote the pid file, or left behind by one whose pid file was lost.
 */
export function strayGroups(
  l: LocalLayout,
  recorded: RecordedProcess,
): { pid: number; version: string | null }[] {
  const mine = recorded.alive ? recorded.pid : null;
  return groupsOf(markedProcesses(l.instance)).filter((g) => g.pgid !== mine);
}

/**
 * Stops the recorded process (SIGTERM to its group, SIGKILL after `stopTimeoutMs`), every
 * unrecorded instance of the service, and forgets them. An abort kills at once and throws.
 */
export async function stopService(l: LocalLayout, stopTimeoutMs: number, io: StepIO): Promise<void> {
  const recorded = await readProcess(l);
  if (recorded.pid !== null && recorded.alive) {
    io.log(`stopping pid ${recorded.pid} (${recorded.version ?? 'unknown version'})`, 'info');
    await stopGroup(recorded.pid, stopTimeoutMs, io);
  }
  for (const stray of strayGroups(l, { ...recorded, alive: false })) {
    io.log(
      `stopping pid ${stray.pid} (${stray.version ?? 'unknown version'}): started for this service but never recorded (an interrupted run)`,
      'info',
    );
    await stopGroup(stray.pid, stopTimeoutMs, io);
  }
  // The pid file goes first: a crash between these leaves no claim on a stranger's pid.
  await removeIfPresent(l.pidFile);
  await removeIfPresent(l.startTimeFile);
  await removeIfPresent(l.versionFile);
}

async function stopGroup(pid: number, stopTimeoutMs: number, io: StepIO): Promise<void> {
  const killed = await terminateGroup(pid, stopTimeoutMs, io.signal);
  if (killed) io.log(`pid ${pid} did not stop within ${formatDuration(stopTimeoutMs)}: killed`, 'info');
}

/**
 * Refuses to start beside another listener on the service's port. A listener running from this
 * service's releases is ours, started before processes carried their marker: it is stopped.
 */
async function claimPort(
  l: LocalLayout,
  spec: ProcessSpec,
  target: TargetContext,
  io: StepIO,
): Promise<void> {
  if (spec.port === null) return;
  const holder = portHolder(spec.port);
  if (holder === null) return;
  const releases = realOrSelf(l.releasesDir);
  const ours = (pid: number | null) => pid !== null && workingDirectory(pid)?.startsWith(`${releases}/`);
  if (holder.pid !== null && ours(holder.pid)) {
    // Its whole group when the group's leader is ours too (Marshal started it detached); else
    // the holder alone — never the group of a shell that ran it by hand, nor Marshal's own.
    const group = processGroup(holder.pid);
    const whole = group !== null && group !== processGroup(process.pid) && ours(group);
    io.log(
      `stopping pid ${holder.pid} on port ${spec.port}: runs from ${workingDirectory(holder.pid)} but was never recorded`,
      'info',
    );
    await stopGroup(whole ? group : holder.pid, spec.stopTimeoutMs, io);
    if (portHolder(spec.port) === null) return;
  }
  throw new MarshalError(
    'PORT_IN_USE',
    `cannot start ${target.service}: port ${spec.port} is held by ${describeHolder(holder)}, not by a process Marshal started for ${target.service}`,
    { details: { port: spec.port, holderPid: holder.pid, holderCommand: holder.command } },
  );
}

/** The real path of `path` (/proc shows processes' directories resolved), or `path` itself when it has none. */
function realOrSelf(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

/**
 * (Re)starts the service from `current`: stops the recorded process and any unrecorded one,
 * checks the port is free, spawns the command (under a wrapper that records its exit status)
 * detached with output appended to logs/service.log, and records pid, start time and version
 * (the pid file last: it commits). With `spec.settleMs`, the process must then stay alive that long.
 */
export async function startService(
  l: LocalLayout,
  spec: ProcessSpec,
  target: TargetContext,
  io: StepIO,
): Promise<number> {
  await stopService(l, spec.stopTimeoutMs, io);
  throwIfAborted(io.signal);
  await claimPort(l, spec, target, io);
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
  await removeIfPresent(l.exitFile);

  const env = commandEnv(process.env, target, spec.version, cwd, spec.env);
  if (spec.port !== null) env.PORT = String(spec.port);
  env[INSTANCE_VARIABLE] = l.instance;
  const log = await fsp.open(l.logFile, 'a');
  let pid: number;
  try {
    await log.write(
      `--- ${new Date().toISOString()} marshal: starting ${spec.version}: ${shortCommand(spec.command)}\n`,
    );
    const child = spawn('/bin/sh', ['-c', SERVICE_WRAPPER, 'marshal-service', spec.command, l.exitFile], {
      cwd,
      env,
      detached: true,
      stdio: ['ignore', log.fd, log.fd],
    });
    crashPoint('start:spawned');
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
  // Run files need no fsync: after a power loss no process they name is left.
  await writeFileAtomic(l.versionFile, `${spec.version}\n`, { durable: false });
  crashPoint('start:version');
  await writeFileAtomic(l.startTimeFile, `${processStartTime(pid) ?? ''}\n`, { durable: false });
  crashPoint('start:time');
  await writeFileAtomic(l.pidFile, `${pid}\n`, { durable: false });
  crashPoint('start:recorded');
  io.log(`started ${spec.version} as pid ${pid}; output → ${l.logFile}`, 'info');
  const settleMs = spec.settleMs ?? 0;
  if (settleMs > 0) {
    await sleep(settleMs, io.signal);
    const ended = await processEnded(l, pid, spec.port, io);
    if (ended !== null) throw ended;
    io.log(`pid ${pid} still running after ${formatDuration(settleMs)}`, 'info');
  }
  return pid;
}

/**
 * Null while the process `pid` (the one recorded when the watch began) is alive and recorded;
 * otherwise the PROCESS_EXITED error that says how it ended, its last output logged to `io`.
 */
export async function processEnded(
  l: LocalLayout,
  pid: number | null,
  port: number | null,
  io: StepIO,
): Promise<MarshalError | null> {
  const now = await readProcess(l);
  if (pid !== null && now.alive && now.pid === pid) return null;
  return exitedError(l, pid, port, io);
}
