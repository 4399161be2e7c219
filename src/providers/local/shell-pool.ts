/**
 * A pool of long-lived `/bin/sh` processes that run the local provider's commands. Spawning a
 * process from Node costs about a millisecond of the event loop each time (the fork of a large
 * process); a small shell forks in a fraction of that, on another core. With hundreds of short
 * steps this is most of the difference between Marshal and GNU make.
 *
 * A worker runs each command so that nothing it does outlasts it in the shell (job-script.ts),
 * then prints a marker with the exit status on stdout and a marker on stderr. An abort kills the
 * worker's whole process group and the worker is replaced.
 *
 * Each worker first puts itself under SCHED_BATCH (`chrt`, util-linux; skipped where absent or
 * refused), which its commands inherit. With the default policy, a shell woken by a new job
 * preempts Node on its core until the job's fork is done: Node's write to the pipe took ~120 µs
 * instead of ~10 here. Batch tasks get the same share of the CPU but do not preempt on wakeup —
 * right for non-interactive commands, and it keeps the loop that feeds them running.
 *
 * One limit, documented: a command that leaves a background process writing
 * to its output lends that output to the next command of the same worker.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { StringDecoder } from 'node:string_decoder';
import { monotonicMs } from '../../model/clock.js';
import { MarshalError } from '../../model/errors.js';
import { abortError, throwIfAborted } from '../abort.js';
import type { ProcessResult } from '../exec.js';
import { MAX_LINE } from '../lines.js';
import { KILL_GRACE_MS, terminateGroup } from '../process.js';
import { type JobCommand, jobScript } from './job-script.js';

export interface PoolCommand extends JobCommand {
  signal: AbortSignal;
  onLine(line: string, stream: 'stdout' | 'stderr'): void;
}

interface Job extends PoolCommand {
  token: string;
  status: number | null;
  stderrDone: boolean;
  lastStderr: string | null;
  resolve(result: ProcessResult): void;
  reject(error: unknown): void;
  /** When it was queued, and when a shell took it (monotonicMs()). */
  queuedAt: number;
  startedAt: number;
}

const MARK = '\u001e';

/** A worker's first line: SCHED_BATCH for itself and so for every command it runs (see above). */
const BATCH_POLICY = 'chrt --batch --pid 0 $$ >/dev/null 2>&1\n';

class Worker {
  readonly child: ChildProcess;
  job: Job | undefined;
  dead = false;
  private readonly text = { stdout: '', stderr: '' };
  private readonly decoders = { stdout: new StringDecoder('utf8'), stderr: new StringDecoder('utf8') };

  constructor(private readonly onIdle: (worker: Worker) => void) {
    this.child = spawn('/bin/sh', [], { stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    this.child.stdout?.on('data', (chunk: Buffer) => this.read('stdout', chunk));
    this.child.stderr?.on('data', (chunk: Buffer) => this.read('stderr', chunk));
    this.child.stdin?.on('error', () => {});
    this.child.on('error', (error) =>
      this.fail(new MarshalError('PROVIDER_ERROR', `cannot start /bin/sh: ${error.message}`)),
    );
    this.child.on('exit', () =>
      this.fail(new MarshalError('PROVIDER_ERROR', 'the command shell exited unexpectedly')),
    );
    this.child.stdin?.write(BATCH_POLICY);
  }

  start(job: Job): void {
    this.job = job;
    job.startedAt = monotonicMs();
    this.child.stdin?.write(jobScript(job, job.token));
  }

  /** Splits output into lines until the job's marker, which carries the exit status on stdout. */
  private read(stream: 'stdout' | 'stderr', chunk: Buffer): void {
    let text = this.text[stream] + this.decoders[stream].write(chunk);
    const job = this.job;
    for (;;) {
      const newline = text.indexOf('\n');
      if (newline === -1) break;
      let line = text.slice(0, newline);
      text = text.slice(newline + 1);
      const mark = job === undefined ? -1 : line.indexOf(`${MARK}${job.token}`);
      if (job !== undefined && mark !== -1) {
        const rest = line.slice(mark + job.token.length + 1).trim();
        line = line.slice(0, mark);
        if (line !== '') this.emit(job, stream, line);
        if (stream === 'stdout') job.status = Number(rest);
        else job.stderrDone = true;
        if (job.status !== null && job.stderrDone) this.finish(job);
        continue;
      }
      if (job !== undefined) this.emit(job, stream, line.endsWith('\r') ? line.slice(0, -1) : line);
    }
    while (text.length > MAX_LINE && job !== undefined) {
      this.emit(job, stream, text.slice(0, MAX_LINE));
      text = text.slice(MAX_LINE);
    }
    this.text[stream] = text;
  }

  private emit(job: Job, stream: 'stdout' | 'stderr', line: string): void {
    if (stream === 'stderr' && line.trim() !== '') job.lastStderr = line;
    job.onLine(line, stream);
  }

  private finish(job: Job): void {
    this.job = undefined;
    job.resolve({ exitCode: job.status, signal: null, lastStderr: job.lastStderr });
    this.onIdle(this);
  }

  /** The shell is gone (or being killed): the job in flight fails, the worker is not reused. */
  fail(error: unknown): void {
    if (this.dead) return;
    this.dead = true;
    const job = this.job;
    this.job = undefined;
    job?.reject(error);
  }

  /** Stops everything the worker runs: its process group, SIGTERM then SIGKILL. */
  async kill(): Promise<void> {
    const pid = this.child.pid;
    if (pid !== undefined) await terminateGroup(pid, KILL_GRACE_MS).catch(() => undefined);
  }
}

/**
 * Shells started as soon as jobs wait; beyond them, only when the shells are the bottleneck.
 * Starting a shell costs the event loop over a millisecond: behind short commands the loop is
 * the bottleneck (busy with their results) and more shells would only slow it. Every
 * GROW_AFTER_MS while jobs wait, the pool looks: when every shell has been on its command for
 * LONG_COMMAND_MS (sleeps, copies, health checks, network calls), every waiting job gets a
 * shell. A job that has waited GROW_ANYWAY_MS gets one in any case: commands that stream a
 * lot of output keep the loop busy, and the configured concurrency must still hold.
 */
const EAGER_WORKERS = Math.max(2, availableParallelism());
const GROW_AFTER_MS = 2;
const LONG_COMMAND_MS = 3;
const GROW_ANYWAY_MS = 50;

export class ShellPool {
  private readonly idle: Worker[] = [];
  private readonly all = new Set<Worker>();
  private readonly queue: Job[] = [];
  private counter = 0;
  private closed = false;
  private growTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly maxWorkers = 64,
    private readonly eagerWorkers = EAGER_WORKERS,
  ) {}

  /**
   * Runs a command in a free worker; resolves with its exit status (a non-zero exit is a
   * result, not an error); rejects with the abort reason once the command is stopped.
   */
  run(command: PoolCommand): Promise<ProcessResult> {
    throwIfAborted(command.signal);
    if (this.closed) return Promise.reject(new MarshalError('INTERNAL', 'the shell pool is closed'));
    return new Promise<ProcessResult>((resolve, reject) => {
      const token = `m${process.pid}x${(this.counter++).toString(36)}`;
      const job: Job = {
        ...command,
        token,
        status: null,
        stderrDone: false,
        lastStderr: null,
        resolve,
        reject,
        queuedAt: monotonicMs(),
        startedAt: 0,
      };
      const onAbort = () => void this.abort(job);
      command.signal.addEventListener('abort', onAbort, { once: true });
      const settle =
        <T>(fn: (value: T) => void) =>
        (value: T) => {
          command.signal.removeEventListener('abort', onAbort);
          fn(value);
        };
      job.resolve = settle(resolve);
      job.reject = settle(reject);
      this.queue.push(job);
      this.dispatch();
    });
  }

  private dispatch(grow = false): void {
    while (this.queue.length > 0) {
      let worker = this.idle.pop();
      while (worker?.dead) worker = this.idle.pop();
      if (worker === undefined) {
        if (this.all.size >= this.maxWorkers) return;
        if (this.all.size >= this.eagerWorkers && !grow) {
          // Checked after the I/O phase: output already waiting may free a shell.
          this.scheduleGrowth();
          return;
        }
        worker = this.spawnWorker();
      }
      worker.start(this.queue.shift() as Job);
    }
  }

  private scheduleGrowth(): void {
    if (this.growTimer !== undefined) return;
    this.growTimer = setTimeout(
      () =>
        setImmediate(() => {
          this.growTimer = undefined;
          if (this.closed || this.queue.length === 0) return;
          const now = monotonicMs();
          const waited = now - (this.queue[0]?.queuedAt ?? now);
          if (waited >= GROW_ANYWAY_MS || this.allOnLongCommands(now)) this.dispatch(true);
          else this.scheduleGrowth();
        }),
      GROW_AFTER_MS,
    );
  }

  /** True when every live shell has been on its command for LONG_COMMAND_MS. */
  private allOnLongCommands(now: number): boolean {
    for (const worker of this.all) {
      if (worker.dead) continue;
      if (worker.job === undefined || now - worker.job.startedAt < LONG_COMMAND_MS) return false;
    }
    return true;
  }

  private spawnWorker(): Worker {
    const worker = new Worker((w) => {
      if (!w.dead) this.idle.push(w);
      this.dispatch();
    });
    this.all.add(worker);
    worker.child.once('exit', () => this.all.delete(worker));
    return worker;
  }

  /** A queued job is dropped; a running one takes its worker down with it. */
  private async abort(job: Job): Promise<void> {
    const queued = this.queue.indexOf(job);
    if (queued !== -1) {
      this.queue.splice(queued, 1);
      job.reject(abortError(job.signal));
      return;
    }
    const worker = [...this.all].find((w) => w.job === job);
    if (worker === undefined) return;
    // Retire the worker first (its exit must not fail the job), stop what it runs, then report.
    worker.job = undefined;
    worker.dead = true;
    await worker.kill();
    this.all.delete(worker);
    job.reject(abortError(job.signal));
    this.dispatch();
  }

  /** Ends every worker; jobs still queued are rejected. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.growTimer);
    for (const job of this.queue.splice(0))
      job.reject(new MarshalError('CANCELLED', 'the provider was closed'));
    const workers = [...this.all];
    this.all.clear();
    await Promise.all(
      workers.map(async (w) => {
        if (w.job !== undefined) {
          w.fail(new MarshalError('CANCELLED', 'the provider was closed'));
          await w.kill();
        } else {
          w.child.stdin?.end();
        }
      }),
    );
  }
}
