/**
 * A service's process on a remote host, as the steps that depend on it being
 * alive see it: the health watch (checks count only while it lives, then a
 * settle window) and the settle of a start without health checks. Each look
 * is one round trip on the host's pooled connection.
 */
import type { MarshalError } from '../../model/errors.js';
import type { ProcessSpec, StepIO, WatchSpec } from '../../model/provider.js';
import { sleep } from '../abort.js';
import { whileAlive } from '../health/watch.js';
import { processExitedError } from '../process-exit.js';
import type { PortHolder } from '../procfs.js';
import type { RemoteCommand, RemoteResult } from './executor.js';
import { displayPath, type RemoteLayout } from './layout.js';
import { first, parseHolder, parseReport, type Report } from './outcomes.js';
import { holderScript, logTailScript, processScript } from './process-scripts.js';

/** A look at the process costs a round trip: less often than the local provider's. */
const WATCH_POLL_MS = 500;
/** Bytes of the service log read back when the process has ended. */
const TAIL_BYTES = 16 * 1024;

type Runner = (io: StepIO, run: Omit<RemoteCommand, 'signal'>) => Promise<RemoteResult>;

export class RemoteProcess {
  constructor(
    private readonly l: RemoteLayout,
    private readonly run: Runner,
  ) {}

  /** `recorded=`, `alive=<pid>`, `exit=<pid> <status>` and, with `strays`, `stray=<pid>` (see processScript). */
  async look(io: StepIO, strays = false): Promise<Report> {
    const result = await this.run(io, { script: processScript(this.l, strays), what: 'a process check' });
    return parseReport(result.stdout);
  }

  /** Runs the health `checks` while the recorded process lives, then its settle window. */
  async watchHealth(checks: (io: StepIO) => Promise<void>, watch: WatchSpec, io: StepIO): Promise<void> {
    const recorded = first(await this.look(io), 'recorded');
    const pid = recorded === undefined || !/^\d+$/.test(recorded) ? null : Number(recorded);
    await whileAlive(checks, io, {
      ended: () => this.ended(pid, watch.port, io),
      settleMs: watch.settleMs,
      pollMs: WATCH_POLL_MS,
    });
  }

  /** A start without health checks: the process must live through `spec.settleMs`. */
  async settle(pid: number, spec: ProcessSpec, io: StepIO): Promise<void> {
    const settleMs = spec.settleMs ?? 0;
    if (settleMs <= 0) return;
    await sleep(settleMs, io.signal);
    const ended = await this.ended(pid, spec.port, io);
    if (ended !== null) throw ended;
  }

  /** Null while `pid` is the recorded, live process; else how it ended (PROCESS_EXITED). */
  private async ended(pid: number | null, port: number | null, io: StepIO): Promise<MarshalError | null> {
    const report = await this.look(io);
    if (pid !== null && first(report, 'alive') === String(pid)) return null;
    const [exitPid, status] = (first(report, 'exit') ?? '').split(' ');
    const tail = await this.run(io, {
      script: logTailScript(this.l, TAIL_BYTES),
      what: 'reading the service log',
    });
    const output = tail.stdout.join('\n');
    const header = output.lastIndexOf('marshal: starting ');
    return processExitedError({
      pid,
      status: pid !== null && exitPid === String(pid) && status !== undefined ? Number(status) : null,
      output: header < 0 ? output : output.slice(output.indexOf('\n', header) + 1),
      logFile: `${displayPath(this.l.serviceDir)}/logs/service.log`,
      port,
      holderOf: (p) => this.holder(p, io),
      io,
    });
  }

  private async holder(port: number, io: StepIO): Promise<PortHolder | null> {
    const report = parseReport(
      (await this.run(io, { script: holderScript(port), what: 'a port check' })).stdout,
    );
    const found = first(report, 'holder');
    return found === undefined ? null : parseHolder(found);
  }
}
