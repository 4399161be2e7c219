/**
 * The `local` provider: targets are directories on this machine. Status
 * checks (`isDone`) only read; `apply` carries an action out and is safe to
 * repeat, so a resumed or retried step converges on the same state.
 */
import { realpathSync } from 'node:fs';
import type {
  Action,
  InspectSpec,
  Provider,
  Slot,
  StepIO,
  TargetContext,
  TargetInspection,
} from '../../model/provider.js';
import { shellQuote } from '../../model/template.js';
import { throwIfAborted } from '../abort.js';
import { commandFailed } from '../exec.js';
import { runHealthChecks } from '../health/index.js';
import { whileAlive } from '../health/watch.js';
import { RMTREE } from '../shell.js';
import { commandEnv } from './env.js';
import { exists, isDirectory, removeIfPresent } from './fsops.js';
import { type LocalLayout, layout, releaseDir } from './layout.js';
import {
  currentIs,
  currentVersion,
  isUploaded,
  removeCurrent,
  switchTo,
  type TreeOps,
  upload,
} from './releases.js';
import {
  DEFAULT_STOP_TIMEOUT_MS,
  processEnded,
  readProcess,
  runsVersion,
  startService,
  stopService,
  strayGroups,
} from './service.js';
import { ShellPool } from './shell-pool.js';
import { copySmallTree, isSmallTree, smallTree } from './small-tree.js';
import { inspectLocal } from './status.js';

/** `fn()`, or `fallback` when it throws. */
function tryOr<T>(fn: () => T, fallback: T): T {
  try {
    return fn();
  } catch {
    return fallback;
  }
}

/** How often a health step looks at the service's process while its checks run. */
const WATCH_POLL_MS = 100;

/** The slot an action works on (blue-green, canary), if any. */
function slotOf(action: Action): Slot | undefined {
  if (action.kind === 'start') return action.process.slot;
  if (action.kind === 'switch' || action.kind === 'health' || action.kind === 'restore') return action.slot;
  return undefined;
}

export class LocalProvider implements Provider {
  readonly name = 'local';
  /** Commands run in a pool of shells, created on first use, ended by close(). */
  private pool: ShellPool | undefined;

  /** Paths of each (root, service), computed once: every step of a target needs them. */
  private readonly layouts = new Map<string, LocalLayout>();

  private layoutOf(target: TargetContext, slot?: Slot): LocalLayout {
    const key = `${target.host.root}\u0000${target.service}\u0000${slot ?? ''}`;
    let l = this.layouts.get(key);
    if (l === undefined) {
      l = layout(target.host.root, target.service, slot);
      this.layouts.set(key, l);
    }
    return l;
  }

  private shells(): ShellPool {
    this.pool ??= new ShellPool();
    return this.pool;
  }

  /**
   * Small release trees are copied and pruned here (small-tree.ts); larger ones by `cp` and
   * `rm` in the shells: one job each, where Node's recursive copy and removal make a dozen trips
   * through its thread pool per tree.
   */
  private readonly tree: TreeOps = {
    copy: async (source, dest, io) => {
      const entries = smallTree(source);
      if (entries !== null) return copySmallTree(source, dest, entries);
      await this.treeCommand(`cp -R -P -- ${shellQuote(source)} ${shellQuote(dest)}`, io);
    },
    remove: async (paths, io) => {
      // A tree that cannot even be walked is left to `rm`, which says why.
      const large = paths.filter((path) => !tryOr(() => isSmallTree(path), false));
      // Small trees go in parallel on the thread pool, whose threads pay for the unlinks.
      const removals = paths.filter((path) => !large.includes(path)).map(removeIfPresent);
      if (large.length > 0)
        removals.push(this.treeCommand(`${RMTREE}\nrmtree ${large.map(shellQuote).join(' ')}`, io));
      const failed = (await Promise.allSettled(removals)).find((r) => r.status === 'rejected');
      if (failed !== undefined) throw failed.reason;
    },
  };

  private async treeCommand(command: string, io: StepIO): Promise<void> {
    const result = await this.shells().run({
      command,
      cwd: '/',
      env: {},
      signal: io.signal,
      onLine: (line, stream) => io.log(line, stream),
    });
    if (result.exitCode !== 0)
      throw new Error(result.lastStderr ?? `\`${command}\` exited ${result.exitCode}`);
  }

  async isDone(action: Action, target: TargetContext, _io: StepIO): Promise<boolean> {
    // A command's effect cannot be observed (commands must be idempotent); health is always probed anew.
    if (action.kind === 'exec' || action.kind === 'health') return false;
    const l = this.layoutOf(target, slotOf(action));
    switch (action.kind) {
      case 'upload':
        return isUploaded(l, action.version);
      case 'switch':
        return currentIs(l, action.version);
      case 'start':
        return action.restart !== true && runsVersion(l, action.process.version);
      case 'restore':
        if (action.version === null) {
          if (await exists(l.current)) return false;
          if (action.process === null) return true;
          const recorded = await readProcess(l);
          return !recorded.alive && strayGroups(l, recorded).length === 0;
        }
        if (!(await currentIs(l, action.version))) return false;
        return action.process === null || runsVersion(l, action.version);
    }
  }

  async apply(action: Action, target: TargetContext, io: StepIO): Promise<void> {
    throwIfAborted(io.signal);
    // Plain commands need no paths unless they run in a release: most steps of a large graph.
    if (action.kind === 'exec') return this.exec(action, target, io);
    const l = this.layoutOf(target, slotOf(action));
    switch (action.kind) {
      case 'upload':
        return upload(l, action.version, action.source, io, this.tree);
      case 'switch':
        return switchTo(l, action.version, action.keep, io, this.tree);
      case 'start':
        await startService(l, action.process, target, io);
        return;
      case 'health':
        return this.health(l, action, target, io);
      case 'restore':
        return this.restore(l, action, target, io);
    }
  }

  async inspect(target: TargetContext, spec: InspectSpec, _io: StepIO): Promise<TargetInspection> {
    return inspectLocal(this.layoutOf(target, spec.process?.slot), spec);
  }

  async close(): Promise<void> {
    const pool = this.pool;
    this.pool = undefined;
    await pool?.close();
  }

  private async exec(
    action: Extract<Action, { kind: 'exec' }>,
    target: TargetContext,
    io: StepIO,
  ): Promise<void> {
    // No paths and no stat for services without an artifact.
    const release = action.inRelease ? releaseDir(this.layoutOf(target), action.version) : null;
    const hasRelease = release !== null && (await isDirectory(release));
    const result = await this.shells().run({
      command: action.command,
      cwd: hasRelease ? release : target.projectDir,
      // Only what the command adds: the shell already has this process's environment.
      env: commandEnv({}, target, action.version, hasRelease ? release : null, action.env) as Record<
        string,
        string
      >,
      signal: io.signal,
      onLine: (line, stream) => io.log(line, stream),
    });
    if (result.exitCode !== 0) throw commandFailed(action.command, result);
  }

  private async health(
    l: LocalLayout,
    action: Extract<Action, { kind: 'health' }>,
    target: TargetContext,
    io: StepIO,
  ): Promise<void> {
    // The release `current` names (one readlink and one stat, not a realpath of every segment);
    // a link not of ours, resolved.
    const version = await currentVersion(l);
    const named =
      version === null ? tryOr(() => realpathSync.native(l.current), null) : releaseDir(l, version);
    const release = named !== null && (await isDirectory(named)) ? named : null;
    const cwd = release ?? target.projectDir;
    const env = commandEnv({}, target, version, release, action.env) as Record<string, string>;
    const checks = (checkIO: StepIO) => this.checks(action, cwd, env, checkIO);
    if (action.watch === undefined) return checks(io);
    const { pid } = await readProcess(l);
    await whileAlive(checks, io, {
      ended: () => processEnded(l, pid, action.watch?.port ?? null, io),
      settleMs: action.watch.settleMs,
      pollMs: WATCH_POLL_MS,
    });
  }

  private async checks(
    action: Extract<Action, { kind: 'health' }>,
    cwd: string,
    env: Record<string, string>,
    io: StepIO,
  ): Promise<void> {
    await runHealthChecks(action.checks, io, async (command, signal) => {
      const tail: string[] = [];
      const result = await this.shells().run({
        command,
        cwd,
        env,
        signal,
        onLine: (line) => {
          tail.push(line);
          if (tail.length > 20) tail.shift();
        },
      });
      return { exitCode: result.exitCode ?? 1, output: tail.join('\n') };
    });
  }

  private async restore(
    l: LocalLayout,
    action: Extract<Action, { kind: 'restore' }>,
    target: TargetContext,
    io: StepIO,
  ): Promise<void> {
    if (action.version === null) {
      await stopService(l, action.process?.stopTimeoutMs ?? DEFAULT_STOP_TIMEOUT_MS, io);
      await removeCurrent(l, io);
      return;
    }
    await switchTo(l, action.version, action.keep, io, this.tree);
    if (action.process === null) return;
    const recorded = await readProcess(l);
    if (recorded.alive && recorded.version === action.version) {
      io.log(`${action.version} is already running (pid ${recorded.pid})`, 'info');
      return;
    }
    await startService(l, { ...action.process, version: action.version }, target, io);
  }
}
