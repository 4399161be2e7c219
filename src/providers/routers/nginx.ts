/**
 * The nginx router: Marshal owns one file holding an `upstream` block that
 * nginx.conf includes. A switch swaps that file atomically, checks the whole
 * configuration with `nginx -t`, sends HUP to the master (a graceful reload:
 * old workers finish their requests) and then waits until the master has
 * replaced its workers, which is how nginx shows it took the new configuration.
 * Any failure puts the previous file back, so the file always matches what
 * nginx serves.
 */
import { monotonicMs } from '../../model/clock.js';
import type { StepIO } from '../../model/provider.js';
import type { Backend, Router } from '../../model/traffic.js';
import {
  abortError,
  checkBackends,
  describeBackends,
  messageOf,
  moveInto,
  providerError,
  readIfExists,
  restoreFile,
  serialize,
  sleep,
  writeSibling,
} from './common.js';
import { activeWorkers, masterPid, reloadedSince } from './nginx-procs.js';
import { renderUpstream } from './nginx-render.js';
import { runArgv } from './run.js';

/** Absolute paths (createRouter resolves the config's paths against the project). */
export interface NginxRouterOptions {
  upstream: string;
  /** The file holding the upstream block; nginx.conf includes it. */
  file: string;
  /** nginx.conf, for `nginx -t -c`. */
  config: string;
  pidFile: string;
  /** How long the master may take to replace its workers after HUP. Default 5 s. */
  reloadTimeoutMs?: number;
  /** The nginx binary; default `nginx` on PATH (plus the sbin directories). */
  binary?: string;
}

const POLL_MS = 3;

/** The `nginx -t` command line for `config`; `-e stderr` so a test never needs the default log's directory. */
export function nginxTestArgv(binary: string, config: string): string[] {
  return [binary, '-t', '-q', '-e', 'stderr', '-c', config];
}

export class NginxRouter implements Router {
  private readonly queue = serialize();

  constructor(private readonly options: NginxRouterOptions) {}

  apply(backends: readonly Backend[], io: StepIO): Promise<void> {
    return this.queue(() => this.switchTo(backends, io));
  }

  /** nginx cannot tell which weights it serves. */
  async current(): Promise<Backend[] | null> {
    return null;
  }

  private async switchTo(backends: readonly Backend[], io: StepIO): Promise<void> {
    const { upstream, file, config, pidFile } = this.options;
    const binary = this.options.binary ?? 'nginx';
    checkBackends('nginx', backends);
    if (io.signal.aborted) throw abortError(io.signal);
    const started = monotonicMs();
    const previous = await readIfExists(file);
    const tmp = await writeSibling(file, renderUpstream(upstream, backends));
    // nginx.conf includes `file` by path, so the new block can only be tested in place:
    // swap it in, test, and put the old one back if the test fails. Nothing reads the
    // file until the HUP below, so the live configuration never sees a bad block.
    await moveInto(tmp, file);
    let signalled = false;
    try {
      const test = await runArgv(nginxTestArgv(binary, config), { signal: io.signal });
      if (test.exitCode !== 0) {
        const why = test.stderr.join(' | ') || `nginx -t exited ${test.exitCode}`;
        throw providerError(`nginx: the new upstream ${upstream} does not pass nginx -t: ${why}`, {
          retryable: false,
        });
      }
      const master = masterPid(pidFile);
      const before = activeWorkers(master);
      try {
        process.kill(master, 'SIGHUP');
      } catch (err) {
        throw providerError(`nginx: cannot send HUP to pid ${master}: ${messageOf(err)}`, { cause: err });
      }
      signalled = true;
      const workers = await this.waitForReload(master, before, io.signal);
      const ms = Math.round(monotonicMs() - started);
      io.log(
        `nginx: ${upstream} → ${describeBackends(backends)}; reloaded in ${ms} ms ` +
          `(workers ${[...before].join(',') || '-'} → ${[...workers].join(',')})`,
        'info',
      );
    } catch (err) {
      // After HUP, a cancelled wait does not mean nginx refused the file: it may be reloading.
      if (!(signalled && io.signal.aborted)) {
        await restoreFile(file, previous).catch((restoreErr) =>
          io.log(`nginx: could not restore ${file}: ${messageOf(restoreErr)}`, 'stderr'),
        );
      }
      throw err;
    }
  }

  /** Polls /proc until the master runs new workers only; a master that keeps its old workers refused the reload. */
  private async waitForReload(
    master: number,
    before: Set<number>,
    signal: AbortSignal,
  ): Promise<Set<number>> {
    const timeoutMs = this.options.reloadTimeoutMs ?? 5000;
    const deadline = monotonicMs() + timeoutMs;
    for (;;) {
      const now = activeWorkers(master);
      if (reloadedSince(before, now)) return now;
      if (monotonicMs() >= deadline) {
        throw providerError(
          `nginx: the master (pid ${master}) did not start new workers within ${timeoutMs} ms of HUP: ` +
            `the reload failed (see nginx's error log); ${this.options.file} was put back`,
        );
      }
      await sleep(POLL_MS, signal);
    }
  }
}
