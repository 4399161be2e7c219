/**
 * The haproxy router: Marshal owns the servers of one backend. A switch
 * (1) rewrites the backend's server lines in a temp copy of haproxy.cfg and
 * checks it with `haproxy -c`; (2) applies the change to the running process
 * over the admin socket — `add server` for servers it does not have yet
 * (dynamic servers, haproxy ≥ 2.5), `set server … addr`, `set weight`,
 * `set server … state ready|maint` — with no reload, so no connection is
 * touched; (3) reads `show servers state` back and compares it with the
 * request; (4) renames the checked copy over haproxy.cfg, so a later reload or
 * restart serves the same weights. A failure in (2) or (3) puts the previous
 * runtime state back and leaves haproxy.cfg untouched.
 */
import { promises as fsp } from 'node:fs';
import { createRequire } from 'node:module';
import { isIP } from 'node:net';
import { monotonicMs } from '../../model/clock.js';
import type { StepIO } from '../../model/provider.js';
import type { Backend, Router } from '../../model/traffic.js';
import {
  checkBackends,
  describeBackends,
  messageOf,
  moveInto,
  providerError,
  readIfExists,
  serialize,
  throwIfAborted,
  writeSibling,
} from './common.js';
import { replaceBackendServers } from './haproxy-config.js';
import {
  commandSucceeded,
  compareState,
  parseServersState,
  planRestore,
  planRuntime,
  type ResolvedBackend,
  type ServerState,
  toBackends,
} from './haproxy-runtime.js';
import { sendCommand } from './haproxy-socket.js';
import { runArgv } from './run.js';

/** Absolute paths (createRouter resolves the config's paths against the project). */
export interface HaproxyRouterOptions {
  backend: string;
  /** The admin socket (`stats socket … level admin`). */
  socket: string;
  configFile: string;
  /** The haproxy binary for `haproxy -c`; default `haproxy` on PATH (plus the sbin directories). */
  binary?: string;
}

export class HaproxyRouter implements Router {
  private readonly queue = serialize();

  constructor(private readonly options: HaproxyRouterOptions) {}

  apply(backends: readonly Backend[], io: StepIO): Promise<void> {
    return this.queue(() => this.switchTo(backends, io));
  }

  async current(io: StepIO): Promise<Backend[] | null> {
    return toBackends(await this.state(io.signal));
  }

  private async switchTo(backends: readonly Backend[], io: StepIO): Promise<void> {
    const { backend, configFile } = this.options;
    checkBackends('haproxy', backends);
    const started = monotonicMs();
    const tmp = await this.checkedConfig(backends, io.signal);
    try {
      const wanted = await resolveAll(backends);
      throwIfAborted(io.signal);
      const before = await this.state(io.signal);
      const commands = planRuntime(backend, before, wanted);
      const notes: string[] = [];
      try {
        for (const command of commands) {
          // A server still holding connections cannot be deleted yet; maintenance already took it out.
          const note = await this.send(command, io.signal, command.startsWith('del server '));
          if (note !== null) notes.push(note);
        }
        const after = await this.state(io.signal);
        const problems = compareState(wanted, after);
        if (problems.length > 0) {
          throw providerError(`haproxy: ${backend} does not serve what was asked: ${problems.join('; ')}`);
        }
        await moveInto(tmp, configFile);
      } catch (err) {
        await this.restore(before, io);
        throw err;
      }
      const ms = Math.round(monotonicMs() - started);
      io.log(
        `haproxy: ${backend} → ${describeBackends(backends)}; ${commands.length} runtime command(s), ` +
          `verified and ${configFile} rewritten in ${ms} ms${notes.length > 0 ? ` (${notes.join('; ')})` : ''}`,
        'info',
      );
    } finally {
      await fsp.rm(tmp, { force: true });
    }
  }

  /** Writes haproxy.cfg with the new server lines to a temp file beside it and checks it with `haproxy -c`. */
  private async checkedConfig(backends: readonly Backend[], signal: AbortSignal): Promise<string> {
    const { backend, configFile } = this.options;
    const text = await readIfExists(configFile);
    if (text === null) throw providerError(`haproxy: ${configFile} does not exist`, { retryable: false });
    let next: string;
    try {
      next = replaceBackendServers(text, backend, backends);
    } catch (err) {
      throw providerError(`haproxy: cannot rewrite ${configFile}: ${messageOf(err)}`, { retryable: false });
    }
    const tmp = await writeSibling(configFile, next);
    try {
      // Not -q: it silences the alerts that say what is wrong.
      const check = await runArgv([this.options.binary ?? 'haproxy', '-c', '-f', tmp], { signal });
      if (check.exitCode !== 0) {
        // Name the real file: the line numbers are the same in the copy.
        const why = (alerts(check.stderr).join(' | ') || `haproxy -c exited ${check.exitCode}`).replaceAll(
          tmp,
          configFile,
        );
        throw providerError(`haproxy: the new servers of ${backend} do not pass haproxy -c: ${why}`, {
          retryable: false,
        });
      }
    } catch (err) {
      await fsp.rm(tmp, { force: true });
      throw err;
    }
    return tmp;
  }

  /** The backend's servers as the running haproxy reports them. */
  private async state(signal: AbortSignal): Promise<ServerState[]> {
    const { backend, socket } = this.options;
    const answer = await sendCommand(socket, `show servers state ${backend}`, signal);
    try {
      return parseServersState(answer);
    } catch (err) {
      throw providerError(`haproxy: cannot read the servers of ${backend}: ${messageOf(err)}`);
    }
  }

  /** Sends one command; an unexpected answer is an error, or (when `tolerate`) a note returned for the log. */
  private async send(command: string, signal: AbortSignal, tolerate = false): Promise<string | null> {
    const answer = await sendCommand(this.options.socket, command, signal);
    if (commandSucceeded(command, answer)) return null;
    const text = answer.trim().replace(/\s*\n\s*/g, ' ');
    if (tolerate) return `\`${command}\`: ${text}`;
    throw providerError(`haproxy: \`${command}\` failed: ${text}`);
  }

  /**
   * Puts the runtime state read before a failed switch back, best effort: it runs even
   * when the step was cancelled (its own signal), and reports what it could not undo.
   */
  private async restore(before: readonly ServerState[], io: StepIO): Promise<void> {
    const signal = new AbortController().signal;
    try {
      const after = await this.state(signal);
      const failed: string[] = [];
      for (const command of planRestore(this.options.backend, before, after)) {
        const note = await this.send(command, signal, true).catch((err) => messageOf(err));
        if (note !== null) failed.push(note);
      }
      io.log(
        failed.length === 0
          ? `haproxy: put ${this.options.backend} back as it was`
          : `haproxy: could not fully put ${this.options.backend} back: ${failed.join('; ')}`,
        failed.length === 0 ? 'info' : 'stderr',
      );
    } catch (err) {
      io.log(`haproxy: could not put ${this.options.backend} back: ${messageOf(err)}`, 'stderr');
    }
  }
}

/**
 * Loaded when a name is resolved: most deploys never do. require, not import(): the CLI
 * bundle runs in a vm.Script, which has no loader for import().
 */
function lazyDns(): typeof import('node:dns/promises') {
  return createRequire(import.meta.url)('node:dns/promises');
}

/**
 * The IP of every backend: haproxy reports servers by IP, and a dynamic server given a
 * host name it cannot resolve is accepted with no address at all, so names are resolved
 * here (as the config check resolves them) and an unknown name fails before any change.
 */
async function resolveAll(backends: readonly Backend[]): Promise<ResolvedBackend[]> {
  return Promise.all(
    backends.map(async (b) => {
      if (isIP(b.address) !== 0) return { ...b, ip: b.address };
      try {
        return { ...b, ip: (await lazyDns().lookup(b.address)).address };
      } catch (err) {
        throw providerError(`haproxy: cannot resolve ${b.name}'s address ${b.address}: ${messageOf(err)}`, {
          retryable: false,
        });
      }
    }),
  );
}

/** haproxy's `[ALERT] (pid) : config : message` lines, as `message`; every line when there are none. */
export function alerts(stderr: readonly string[]): string[] {
  const found = stderr.filter((l) => l.startsWith('[ALERT]'));
  return (found.length > 0 ? found : stderr).map((l) =>
    l.replace(/^\[\w+\]\s+\(\d+\)\s+:\s+(config\s+:\s+)?/, ''),
  );
}
