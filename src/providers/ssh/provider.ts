/**
 * The `ssh` provider: targets are hosts reached over SSH, laid out like the
 * local provider's directories. Every action is one or two remote scripts
 * (commands.ts) run over the run's pooled connection to the host (pool.ts);
 * `isDone` is a single status probe.
 *
 * What a host needs: a POSIX login shell, `tar`, GNU `mv -T`, util-linux
 * `setsid -w` (≥ 2.31), and /proc for process checks (Linux).
 */
import { randomBytes } from 'node:crypto';
import { MarshalError } from '../../model/errors.js';
import type { PlannedHost } from '../../model/plan.js';
import type {
  Action,
  InspectSpec,
  ProcessSpec,
  Provider,
  StepIO,
  TargetContext,
  TargetInspection,
} from '../../model/provider.js';
import { abortError, throwIfAborted } from '../abort.js';
import { commandFailed } from '../exec.js';
import { runHealthChecks } from '../health/index.js';
import { shortCommand } from '../shell.js';
import {
  type CommandFacts,
  execScript,
  healthCommandScript,
  statusScript,
  switchScript,
  uploadScript,
} from './commands.js';
import type { SshConnection } from './connection.js';
import { type RemoteCommand, type RemoteResult, runRemote } from './executor.js';
import { inspection } from './inspection.js';
import { type RemoteLayout, remoteLayout } from './layout.js';
import {
  currentIs,
  first,
  type Place,
  parseReport,
  type Report,
  runs,
  startRefusal,
  stopLines,
  strayLines,
  switchLines,
  switchRefusal,
  versionOfLink,
} from './outcomes.js';
import { SshPool, type SshPoolOptions } from './pool.js';
import { inspectScript, removeScript, startScript } from './process-scripts.js';
import { RemoteProcess } from './remote-process.js';
import { ArtifactArchives } from './transfer.js';

/** Stop grace when no process spec says otherwise (as the local provider). */
const DEFAULT_STOP_TIMEOUT_MS = 5000;

export type SshProviderOptions = SshPoolOptions;

type Run = Omit<RemoteCommand, 'signal'>;
type ActionOf<K extends Action['kind']> = Extract<Action, { kind: K }>;

/** Deploys to SSH hosts; one instance per run (it owns the run's connections and artifact archives). */
export class SshProvider implements Provider {
  readonly name = 'ssh';
  private readonly pool: SshPool;
  private readonly archives = new ArtifactArchives();

  constructor(options: SshProviderOptions = {}) {
    this.pool = new SshPool(options);
  }

  /** Connections opened so far to `hostKey` (`user@address:port`, see {@link hostKey}), or in all. */
  connectionsOpened(hostKey?: string): number {
    return this.pool.connectionsOpened(hostKey);
  }

  /** The key a host's connection is pooled and counted by: `user@address:port`. */
  hostKey(host: PlannedHost): string {
    return this.pool.hostKey(host);
  }

  async isDone(action: Action, target: TargetContext, io: StepIO): Promise<boolean> {
    switch (action.kind) {
      case 'exec':
      case 'health':
        // A command's effect cannot be observed (commands must be idempotent); health is always probed anew.
        return false;
      case 'upload':
        return (await this.status(target, action.version, io)).has('uploaded');
      case 'switch':
        return currentIs(await this.status(target, action.version, io), action.version);
      case 'start':
        return action.restart !== true && runs(await this.status(target, null, io), action.process.version);
      case 'restore': {
        const status = await this.status(target, action.version, io);
        if (action.version === null) {
          if (status.has('hascurrent')) return false;
          if (action.process === null) return true;
          const now = await this.processes(target).look(io, true);
          return !now.has('alive') && !now.has('stray');
        }
        if (!currentIs(status, action.version)) return false;
        return action.process === null || runs(status, action.version);
      }
    }
  }

  async apply(action: Action, target: TargetContext, io: StepIO): Promise<void> {
    throwIfAborted(io.signal);
    switch (action.kind) {
      case 'upload':
        return this.upload(target, action, io);
      case 'exec':
        return this.exec(target, action, io);
      case 'switch':
        return this.switchTo(target, action.version, action.keep, io);
      case 'start':
        return this.start(target, action.process, false, io);
      case 'health':
        return this.health(target, action, io);
      case 'restore':
        return this.restore(target, action, io);
    }
  }

  async inspect(target: TargetContext, spec: InspectSpec, io: StepIO): Promise<TargetInspection> {
    const port = spec.process?.port ?? null;
    const script = inspectScript(layoutOf(target), port);
    return inspection(await this.report(target, io, { script, what: 'an inspection' }), spec);
  }

  async close(): Promise<void> {
    this.archives.clear();
    await this.pool.close();
  }

  private async upload(target: TargetContext, action: ActionOf<'upload'>, io: StepIO): Promise<void> {
    const { version, source } = action;
    const archive = await this.archives.get(source, version);
    throwIfAborted(io.signal);
    const marker = JSON.stringify({ version, source, uploadedAt: new Date().toISOString() });
    const script = uploadScript(layoutOf(target), version, randomSuffix(), marker);
    const report = await this.report(target, io, {
      script,
      what: `the upload of ${version}`,
      input: archive,
    });
    if (report.has('already')) return io.log(`release ${version} is already uploaded`, 'info');
    if (report.has('replaced')) io.log(`replacing incomplete release ${version}`, 'info');
    io.log(`uploaded ${source} → releases/${version} (${formatBytes(archive.length)})`, 'info');
  }

  private async exec(target: TargetContext, action: ActionOf<'exec'>, io: StepIO): Promise<void> {
    const result = await this.run(target, io.signal, {
      script: execScript(layoutOf(target), facts(target), action),
      what: 'the command',
      grouped: true,
      onLine: (line, stream) => io.log(line, stream),
    });
    if (result.exitCode !== 0) {
      throw commandFailed(action.command, {
        exitCode: result.exitCode,
        signal: result.signal as NodeJS.Signals | null,
        lastStderr: result.lastStderr,
      });
    }
  }

  private async switchTo(target: TargetContext, version: string, keep: number, io: StepIO): Promise<void> {
    const l = layoutOf(target);
    const script = switchScript(l, version, keep, randomSuffix());
    const report = await this.report(target, io, { script, what: `the switch to ${version}` }, (r) =>
      switchRefusal(r, version, place(target, l)),
    );
    for (const line of switchLines(report, version, keep)) io.log(line, 'info');
  }

  private async start(
    target: TargetContext,
    spec: ProcessSpec,
    keepRunning: boolean,
    io: StepIO,
  ): Promise<void> {
    const l = layoutOf(target);
    const summary = shortCommand(spec.command);
    const script = startScript(l, facts(target), { ...spec, summary, keepRunning });
    const report = await this.report(target, io, { script, what: `the start of ${spec.version}` }, (r) =>
      startRefusal(r, place(target, l), spec.port),
    );
    const running = first(report, 'running');
    if (running !== undefined) return io.log(`${spec.version} is already running (pid ${running})`, 'info');
    for (const line of stopLines(report, spec.stopTimeoutMs)) io.log(line, 'info');
    for (const line of strayLines(report, spec.stopTimeoutMs, spec.port)) io.log(line, 'info');
    const pid = Number(first(report, 'pid'));
    io.log(`started ${spec.version} as pid ${pid}; output → ${first(report, 'log')}`, 'info');
    await this.processes(target).settle(pid, spec, io);
  }

  /** The service's process on the target's host, as a health watch and a settle see it. */
  private processes(target: TargetContext): RemoteProcess {
    return new RemoteProcess(layoutOf(target), (io, run) => this.run(target, io.signal, run));
  }

  private async health(target: TargetContext, action: ActionOf<'health'>, io: StepIO): Promise<void> {
    const checks = (checkIO: StepIO) => this.checks(target, action, checkIO);
    if (action.watch === undefined) return checks(io);
    await this.processes(target).watchHealth(checks, action.watch, io);
  }

  private async checks(target: TargetContext, action: ActionOf<'health'>, io: StepIO): Promise<void> {
    const l = layoutOf(target);
    await runHealthChecks(action.checks, io, async (command, signal) => {
      const tail: string[] = [];
      const result = await this.run(target, signal, {
        script: healthCommandScript(l, facts(target), command, action.env),
        what: 'a health check',
        grouped: true,
        onLine: (line) => {
          tail.push(line);
          if (tail.length > 20) tail.shift();
        },
      });
      return { exitCode: result.exitCode ?? 255, output: tail.join('\n') };
    });
  }

  private async restore(target: TargetContext, action: ActionOf<'restore'>, io: StepIO): Promise<void> {
    if (action.version === null) {
      const stopTimeoutMs = action.process?.stopTimeoutMs ?? DEFAULT_STOP_TIMEOUT_MS;
      const script = removeScript(layoutOf(target), stopTimeoutMs);
      const report = await this.report(target, io, { script, what: 'the removal of current' });
      for (const line of stopLines(report, stopTimeoutMs)) io.log(line, 'info');
      for (const line of strayLines(report, stopTimeoutMs, null)) io.log(line, 'info');
      const removed = first(report, 'removed');
      if (removed !== undefined)
        io.log(`removed current (was ${versionOfLink(removed) ?? 'unknown'})`, 'info');
      return;
    }
    await this.switchTo(target, action.version, action.keep, io);
    if (action.process === null) return;
    // One round trip: the start script leaves a process already running this version alone.
    await this.start(target, { ...action.process, version: action.version }, true, io);
  }

  /** What a status probe reports (see statusScript). */
  private status(target: TargetContext, version: string | null, io: StepIO): Promise<Report> {
    return this.report(target, io, {
      script: statusScript(layoutOf(target), version),
      what: 'a status probe',
    });
  }

  /** Runs a report script; a non-zero exit is `refuse(report)` or a retryable PROVIDER_ERROR. */
  private async report(
    target: TargetContext,
    io: StepIO,
    run: Run,
    refuse: (report: Report) => MarshalError | null = () => null,
  ): Promise<Report> {
    const result = await this.run(target, io.signal, run);
    const report = parseReport(result.stdout);
    if (result.exitCode === 0) return report;
    const refusal = refuse(report);
    if (refusal !== null) throw refusal;
    const why = result.lastStderr ?? `exit status ${result.exitCode ?? result.signal}`;
    throw new MarshalError(
      'PROVIDER_ERROR',
      `${run.what} failed on ${target.host.name}: ${shortCommand(why)}`,
      {
        details: { host: this.hostKey(target.host), exitCode: result.exitCode },
      },
    );
  }

  private async run(target: TargetContext, signal: AbortSignal, run: Run): Promise<RemoteResult> {
    const conn = await this.connection(target.host, signal);
    return runRemote(conn, { ...run, signal });
  }

  /** The host's pooled connection; an abort stops the wait (the shared connection attempt goes on). */
  private connection(host: PlannedHost, signal: AbortSignal): Promise<SshConnection> {
    throwIfAborted(signal);
    return new Promise((resolve, reject) => {
      const onAbort = () => reject(abortError(signal));
      signal.addEventListener('abort', onAbort, { once: true });
      this.pool
        .get(host)
        .then(resolve, reject)
        .finally(() => signal.removeEventListener('abort', onAbort));
    });
  }
}

/** Computed per step: cheap, and it validates the service name and root every time. */
function layoutOf(target: TargetContext): RemoteLayout {
  return remoteLayout(target.host.root, target.service);
}

function facts(target: TargetContext): CommandFacts {
  return { service: target.service, environment: target.environment, host: target.host.name };
}

function place(target: TargetContext, l: RemoteLayout): Place {
  return { service: target.service, serviceDir: l.serviceDir, host: target.host.name };
}

function randomSuffix(): string {
  return randomBytes(6).toString('hex');
}

function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}
