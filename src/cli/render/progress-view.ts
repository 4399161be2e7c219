/**
 * What the live view shows, as data: per service, its steps done, running and failed, and
 * what a rollback did to it; and the frame drawn from that. Kept apart from the terminal so a
 * frame can be checked as text.
 */
import { formatDuration } from '../../model/duration.js';
import type { Plan } from '../../model/plan.js';
import type { NewEvent, StepRecord } from '../../model/run.js';
import { isRollbackStep, parseStepRef, withinService } from '../../model/step-ref.js';
import { color } from '../output.js';

interface ServiceView {
  name: string;
  from: string | null;
  to: string;
  /** Its steps in the deploy: one per target and phase, and its service-level steps (blue-green, canary). */
  steps: number;
  done: number;
  failed: number;
  skipped: number;
  running: Set<string>;
  waiting: Set<string>;
  started: number | null;
  ended: number | null;
  /** Its rollback steps: once one has started, the row tells where the rollback took it. */
  rollback: { running: Set<string>; done: number; failed: number };
}

/** Most service rows a frame draws. */
const MAX_ROWS = 20;

export class ProgressView {
  private readonly services = new Map<string, ServiceView>();
  runId = 0;
  phase = 'deploying';

  constructor(private readonly plan: Plan) {
    for (const svc of plan.services) {
      this.services.set(svc.name, {
        name: svc.name,
        from: svc.from,
        to: svc.to,
        steps: svc.targets.length * svc.phases.length + (svc.delivery?.steps.length ?? 0),
        done: 0,
        failed: 0,
        skipped: 0,
        running: new Set(),
        waiting: new Set(),
        started: null,
        ended: null,
        rollback: { running: new Set(), done: 0, failed: 0 },
      });
    }
  }

  /**
   * What a resumed run had done before it was interrupted, as the store recorded it: finished
   * steps count as they did then. Steps that were in flight or waiting run again, so they are
   * left pending.
   */
  seed(steps: readonly StepRecord[]): void {
    const spans = new Map<ServiceView, { from: number; to: number }>();
    for (const step of steps) {
      const svc = this.serviceOf(step.stepId);
      if (svc === undefined) continue;
      const rollback = isRollbackStep(step.stepId);
      if (step.state === 'succeeded') {
        if (rollback) svc.rollback.done++;
        else svc.done++;
      } else if (step.state === 'failed') {
        if (rollback) svc.rollback.failed++;
        else svc.failed++;
      } else if (step.state === 'skipped' && !rollback) svc.skipped++;
      if (rollback || step.startedAt === null || step.endedAt === null) continue;
      const span = spans.get(svc);
      spans.set(svc, {
        from: Math.min(span?.from ?? step.startedAt, step.startedAt),
        to: Math.max(span?.to ?? step.endedAt, step.endedAt),
      });
    }
    // A service finished before shows how long it took then; one half done counts from when it
    // goes on (the time the run stood still is nobody's).
    for (const [svc, span] of spans) {
      if (svc.done !== svc.steps) continue;
      svc.started = span.from;
      svc.ended = span.to;
    }
  }

  apply(event: NewEvent): void {
    if (event.type === 'run.state') {
      if (event.data.state !== 'running') this.phase = event.data.state.replace('_', ' ');
      return;
    }
    if (event.stepId === undefined) return;
    const id = event.stepId;
    const svc = this.serviceOf(id);
    if (svc === undefined) return;
    const rollback = isRollbackStep(id);
    const running = rollback ? svc.rollback.running : svc.running;
    switch (event.type) {
      case 'step.started':
        running.add(id);
        svc.waiting.delete(id);
        if (!rollback) svc.started ??= event.at;
        break;
      case 'step.succeeded':
        running.delete(id);
        if (rollback) svc.rollback.done++;
        else if (++svc.done === svc.steps) svc.ended = event.at;
        break;
      case 'step.failed':
        // A failure that will be retried leaves the step running.
        if (!event.data.final) break;
        running.delete(id);
        if (rollback) svc.rollback.failed++;
        else svc.failed++;
        break;
      case 'step.skipped':
        running.delete(id);
        if (!rollback) svc.skipped++;
        break;
      case 'step.interrupted':
        running.delete(id);
        break;
      case 'step.waiting':
        running.delete(id);
        svc.waiting.add(id);
        break;
      default:
        break;
    }
  }

  /** The lines of the live block at `now`; `spin` marks what is running. */
  frame(now: number, spin: string, startedAt: number): string[] {
    // A terminal holds a few dozen rows: running and failed services first, then the rest, capped.
    const all = [...this.services.values()];
    const busy = (s: ServiceView) =>
      s.failed > 0 || s.running.size > 0 || s.waiting.size > 0 || touchedByRollback(s);
    const shown = [...all.filter(busy), ...all.filter((s) => !busy(s))].slice(0, MAX_ROWS);
    const rows = shown.map((s) => {
      const current = [...s.running, ...s.rollback.running].map(withinService).slice(0, 3).join(', ');
      const time = s.started === null ? '' : formatDuration((s.ended ?? now) - s.started);
      const count = `${s.done}/${s.steps}`.padStart(9);
      return `  ${mark(s, spin)} ${s.name.padEnd(16)} ${label(s).padEnd(18)} ${count}  ${color.dim(time.padEnd(7))} ${color.dim(current)}`;
    });
    const header = `${color.bold(`run #${this.runId}`)} ${this.phase} ${this.plan.environment}  ${color.dim(formatDuration(now - startedAt))}`;
    const hidden = all.length - shown.length;
    if (hidden === 0) return [header, ...rows];
    const done = all.filter((s) => s.done === s.steps && !touchedByRollback(s)).length;
    return [header, ...rows, color.dim(`  … ${hidden} more services (${done} of ${all.length} done)`)];
  }

  private serviceOf(stepId: string): ServiceView | undefined {
    const name = parseStepRef(stepId)?.service;
    return name === undefined ? undefined : this.services.get(name);
  }
}

function touchedByRollback(s: ServiceView): boolean {
  return s.rollback.running.size > 0 || s.rollback.done > 0 || s.rollback.failed > 0;
}

function mark(s: ServiceView, spin: string): string {
  if (s.failed > 0 || s.rollback.failed > 0) return color.red('✗');
  if (s.running.size > 0 || s.rollback.running.size > 0) return color.cyan(spin);
  if (touchedByRollback(s)) return color.yellow('↩');
  if (s.waiting.size > 0) return color.yellow('⏸');
  if (s.done === s.steps) return color.green('✓');
  if (s.skipped > 0) return color.dim('-');
  return color.dim('·');
}

/** The versions the row names: where the service is going, or where a rollback took it back to. */
function label(s: ServiceView): string {
  const previous = s.from ?? 'nothing';
  if (s.rollback.failed > 0) return 'rollback failed';
  if (s.rollback.running.size > 0) return `rolling back to ${previous}`;
  if (touchedByRollback(s)) return `back on ${previous}`;
  return `${s.from ?? '—'} → ${s.to}`;
}
