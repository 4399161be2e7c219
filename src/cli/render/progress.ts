/**
 * Progress of a run while it executes: on a terminal a live block (one line
 * per service, redrawn), otherwise one timestamped line per state change.
 */
import type { RunObserver } from '../../engine/journal.js';
import { formatDuration } from '../../model/duration.js';
import type { Plan } from '../../model/plan.js';
import type { LogLine, NewEvent, StepRecord, TargetChange } from '../../model/run.js';
import { isRollbackStep, targetPath } from '../../model/step-ref.js';
import { color, type OutputMode, timestamp } from '../output.js';
import { ProgressView } from './progress-view.js';

const SPIN = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

export class Progress implements RunObserver {
  private readonly view: ProgressView;
  private startedAt = Date.now();
  private timer: NodeJS.Timeout | undefined;
  private drawnLines = 0;
  private frame = 0;
  private stopped = false;
  /** Plain lines waiting to be written: one write per turn, not one per event. */
  private pending = '';
  private flushScheduled = false;

  constructor(
    private readonly mode: OutputMode,
    private readonly plan: Plan,
    private readonly verbose: boolean,
  ) {
    this.view = new ProgressView(plan);
  }

  start(runId: number, resumed = false): void {
    this.view.runId = runId;
    this.startedAt = Date.now();
    if (resumed) this.view.phase = 'resuming';
    if (this.mode === 'plain') {
      this.line(
        Date.now(),
        `run #${runId} ${resumed ? 'resumed' : 'started'}: ${this.plan.kind} of ${this.plan.environment}`,
      );
    }
    if (this.mode === 'live') {
      this.timer = setInterval(() => this.draw(), 100);
      this.timer.unref();
    }
  }

  /** Draws the last frame (live) or writes what is pending (plain). What is printed after stays. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (this.mode === 'live') {
      this.draw();
      // The final frame stays on screen: nothing printed after it is erased.
      this.drawnLines = 0;
    }
    this.flush();
  }

  onEvents(events: readonly NewEvent[]): void {
    for (const event of events) this.apply(event);
  }

  /** A resumed run's steps that finished before: the live view counts them from the first frame. */
  onResumed(steps: readonly StepRecord[]): void {
    if (this.mode === 'live') this.view.seed(steps);
  }

  onLog(line: LogLine): void {
    if (this.mode === 'plain' && this.verbose) this.line(line.at, `${line.stepId} | ${line.line}`);
  }

  private apply(event: NewEvent): void {
    if (this.mode === 'live') this.view.apply(event);
    if (this.mode !== 'plain') {
      // Live mode prints a step's failure above the block; nothing else is written per event.
      if (event.type === 'step.failed') this.stepFailed(event);
      return;
    }
    if (event.type === 'run.state') {
      this.line(
        event.at,
        `run #${event.runId} ${event.data.state}${event.data.error ? `: ${event.data.error.message}` : ''}`,
      );
      return;
    }
    if (event.stepId === undefined) return;
    const id = event.stepId;
    const rollback = isRollbackStep(id);
    switch (event.type) {
      case 'step.started':
        // Plain output says when each step ends (with its duration); starts only when they tell
        // something: a retry, or --verbose. Large runs would otherwise print every step twice.
        if (this.verbose || event.data.attempt > 1) {
          this.line(
            event.at,
            `${id} started${event.data.attempt > 1 ? ` (attempt ${event.data.attempt})` : ''}`,
          );
        }
        break;
      case 'step.succeeded':
        if (rollback && event.data.target) this.backOn(event.at, event.data.target);
        this.line(
          event.at,
          `${id} ${color.green('succeeded')} ${formatDuration(event.data.durationMs)}${event.data.alreadyDone ? ' (already done)' : ''}`,
        );
        break;
      case 'step.failed':
        this.stepFailed(event);
        break;
      case 'step.retrying':
        this.line(event.at, `${id} retrying in ${formatDuration(event.data.delayMs)}`);
        break;
      case 'step.skipped':
        this.line(event.at, `${id} skipped (${event.data.reason})`);
        break;
      case 'step.interrupted':
        this.line(event.at, `${id} interrupted`);
        break;
      case 'target.changed':
        if (rollback) this.backOn(event.at, event.data);
        break;
      default:
        break;
    }
  }

  private stepFailed(event: NewEvent & { type: 'step.failed' }): void {
    const { final, error } = event.data;
    this.line(
      event.at,
      `${event.stepId} ${color.red(final ? 'FAILED' : 'failed')} [${error.code}] ${error.message}`,
    );
  }

  /** A rollback put a target back. */
  private backOn(at: number, change: TargetChange): void {
    if (this.mode === 'plain')
      this.line(at, `${targetPath(change.service, change.target)} back on ${change.version ?? 'nothing'}`);
  }

  /** Plain mode writes to stdout; in live mode only failures are printed above the live block. */
  private line(at: number, text: string): void {
    if (this.mode === 'json') return;
    if (this.mode === 'live') {
      this.clear();
      process.stderr.write(`${color.dim(timestamp(at))} ${text}\n`);
      return;
    }
    this.pending += `${timestamp(at)} ${text}\n`;
    if (this.pending.length > 65_536) this.flush();
    else if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
  }

  private flush(): void {
    this.flushScheduled = false;
    if (this.pending === '') return;
    process.stdout.write(this.pending);
    this.pending = '';
  }

  private clear(): void {
    if (this.drawnLines > 0) process.stderr.write(`\x1b[${this.drawnLines}A\x1b[0J`);
    this.drawnLines = 0;
  }

  private draw(): void {
    const lines = this.view.frame(Date.now(), SPIN[this.frame++ % SPIN.length] as string, this.startedAt);
    this.clear();
    process.stderr.write(`${lines.join('\n')}\n`);
    this.drawnLines = lines.length;
  }
}
