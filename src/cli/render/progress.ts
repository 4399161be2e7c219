/**
 * Progress of a run while it executes: on a terminal a live block (one line
 * per service, redrawn), otherwise one timestamped line per state change.
 */
import type { RunObserver } from '../../engine/journal.js';
import { formatDuration } from '../../model/duration.js';
import type { Plan } from '../../model/plan.js';
import type { LogLine, NewEvent, TargetChange } from '../../model/run.js';
import { color, type OutputMode, timestamp } from '../output.js';

interface ServiceView {
  name: string;
  label: string;
  steps: number;
  done: number;
  failed: number;
  running: Set<string>;
  started: number | null;
  ended: number | null;
}

/** Most service rows the live view draws. */
const MAX_ROWS = 20;

const SPIN = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

export class Progress implements RunObserver {
  private readonly services = new Map<string, ServiceView>();
  private runId = 0;
  private startedAt = Date.now();
  private timer: NodeJS.Timeout | undefined;
  private drawnLines = 0;
  private frame = 0;
  private phase = 'deploying';
  private stopped = false;
  /** Plain lines waiting to be written: one write per turn, not one per event. */
  private pending = '';
  private flushScheduled = false;

  constructor(
    private readonly mode: OutputMode,
    private readonly plan: Plan,
    private readonly verbose: boolean,
  ) {
    for (const svc of plan.services) {
      this.services.set(svc.name, {
        name: svc.name,
        label: `${svc.from ?? '—'} → ${svc.to}`,
        steps: svc.targets.length * svc.phases.length,
        done: 0,
        failed: 0,
        running: new Set(),
        started: null,
        ended: null,
      });
    }
  }

  start(runId: number, resumed = false): void {
    this.runId = runId;
    this.startedAt = Date.now();
    if (resumed) this.phase = 'resuming';
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

  onLog(line: LogLine): void {
    if (this.mode === 'plain' && this.verbose) this.line(line.at, `${line.stepId} | ${line.line}`);
  }

  private serviceOf(stepId: string): ServiceView | undefined {
    const name = stepId.startsWith('rollback/') ? stepId.split('/')[1] : stepId.split('/')[0];
    return name === undefined ? undefined : this.services.get(name);
  }

  private apply(event: NewEvent): void {
    if (event.type === 'run.state') {
      this.phase = event.data.state === 'running' ? this.phase : event.data.state.replace('_', ' ');
      if (this.mode === 'plain')
        this.line(
          event.at,
          `run #${event.runId} ${event.data.state}${event.data.error ? `: ${event.data.error.message}` : ''}`,
        );
      return;
    }
    if (event.stepId === undefined) return;
    const id = event.stepId;
    const svc = this.serviceOf(id);
    const rollback = id.startsWith('rollback/');
    switch (event.type) {
      case 'step.started':
        if (svc && !rollback) {
          svc.running.add(id);
          svc.started ??= event.at;
        }
        // Plain output says when each step ends (with its duration); starts only when they tell
        // something: a retry, or --verbose. Large runs would otherwise print every step twice.
        if (this.mode === 'plain' && (this.verbose || event.data.attempt > 1)) {
          this.line(
            event.at,
            `${id} started${event.data.attempt > 1 ? ` (attempt ${event.data.attempt})` : ''}`,
          );
        }
        break;
      case 'step.succeeded':
        if (rollback && event.data.target) this.backOn(event.at, event.data.target);
        if (svc && !rollback) {
          svc.running.delete(id);
          svc.done++;
          if (svc.done === svc.steps) svc.ended = event.at;
        }
        if (this.mode === 'plain') {
          this.line(
            event.at,
            `${id} ${color.green('succeeded')} ${formatDuration(event.data.durationMs)}${event.data.alreadyDone ? ' (already done)' : ''}`,
          );
        }
        break;
      case 'step.failed':
        if (event.data.final) {
          if (svc && !rollback) {
            svc.running.delete(id);
            svc.failed++;
          }
        }
        this.line(
          event.at,
          `${id} ${color.red(event.data.final ? 'FAILED' : 'failed')} [${event.data.error.code}] ${event.data.error.message}`,
        );
        break;
      case 'step.retrying':
        if (this.mode === 'plain')
          this.line(event.at, `${id} retrying in ${formatDuration(event.data.delayMs)}`);
        break;
      case 'step.skipped':
        if (this.mode === 'plain') this.line(event.at, `${id} skipped (${event.data.reason})`);
        break;
      case 'step.interrupted':
        svc?.running.delete(id);
        if (this.mode === 'plain') this.line(event.at, `${id} interrupted`);
        break;
      case 'target.changed':
        if (rollback) this.backOn(event.at, event.data);
        break;
      default:
        break;
    }
  }

  /** A rollback put a target back. */
  private backOn(at: number, change: TargetChange): void {
    if (this.mode === 'plain')
      this.line(at, `${change.service}/${change.target} back on ${change.version ?? 'nothing'}`);
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
    const now = Date.now();
    const spin = SPIN[this.frame++ % SPIN.length] as string;
    // A terminal holds a few dozen rows: running and failed services first, then the rest, capped.
    const all = [...this.services.values()];
    const busy = (s: ServiceView) => s.failed > 0 || s.running.size > 0;
    const shown = [...all.filter(busy), ...all.filter((s) => !busy(s))].slice(0, MAX_ROWS);
    const rows = shown.map((s) => {
      const mark =
        s.failed > 0
          ? color.red('✗')
          : s.done === s.steps
            ? color.green('✓')
            : s.running.size > 0
              ? color.cyan(spin)
              : color.dim('·');
      const current = [...s.running]
        .map((id) => id.split('/').slice(1).join('/'))
        .slice(0, 3)
        .join(', ');
      const time = s.started === null ? '' : formatDuration((s.ended ?? now) - s.started);
      return `  ${mark} ${s.name.padEnd(16)} ${s.label.padEnd(18)} ${`${s.done}/${s.steps}`.padStart(9)}  ${color.dim(time.padEnd(7))} ${color.dim(current)}`;
    });
    const header = `${color.bold(`run #${this.runId}`)} ${this.phase} ${this.plan.environment}  ${color.dim(formatDuration(now - this.startedAt))}`;
    this.clear();
    const hidden = all.length - shown.length;
    const done = all.filter((s) => s.done === s.steps).length;
    const lines =
      hidden > 0
        ? [header, ...rows, color.dim(`  … ${hidden} more services (${done} of ${all.length} done)`)]
        : [header, ...rows];
    process.stderr.write(`${lines.join('\n')}\n`);
    this.drawnLines = lines.length;
  }
}
