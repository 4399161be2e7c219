/** A run after the fact: header, steps with timings, root causes. */
import { formatDuration } from '../../model/duration.js';
import type { Plan } from '../../model/plan.js';
import {
  blankStep,
  changesOf,
  type RunRecord,
  type RunState,
  type RunSummary,
  type ServiceChange,
  type StepRecord,
} from '../../model/run.js';
import { formatStepRef, isRollbackStep, servicePathOf, targetPathOf } from '../../model/step-ref.js';
import type { Measurement } from '../../model/traffic.js';
import { color, table } from '../output.js';
import { type RunTime, runTime, tookText } from './took.js';

export function stateText(state: RunState | StepRecord['state']): string {
  switch (state) {
    case 'succeeded':
    case 'rolled_back':
      return state === 'succeeded' ? color.green(state) : color.yellow(state);
    case 'failed':
    case 'rollback_failed':
      return color.red(state);
    case 'cancelled':
    case 'skipped':
      return color.dim(state);
    default:
      return color.cyan(state);
  }
}

const MARK: Record<StepRecord['state'], string> = {
  pending: '·',
  running: '…',
  waiting: '⏸',
  succeeded: '✓',
  failed: '✗',
  skipped: '-',
  cancelled: '!',
};

/** `db v1→v2, api new→v2, …` — at most `limit` services, then how many more. */
export function versionsText(changes: readonly ServiceChange[], limit = 6): string {
  if (changes.length === 0) return 'no changes';
  const shown = changes.slice(0, limit).map((c) => `${c.service} ${c.from ?? 'new'}→${c.to}`);
  const more = changes.length - shown.length;
  return `${shown.join(', ')}${more > 0 ? `, and ${more} more` : ''}`;
}

/** Every step the plan has, in plan order, with its stored state (pending when never started). */
export function planSteps(plan: Plan, steps: readonly StepRecord[]): StepRecord[] {
  const byId = new Map(steps.map((s) => [s.stepId, s]));
  const ordered: StepRecord[] = [];
  const runId = steps[0]?.runId ?? 0;
  for (const svc of plan.services) {
    for (const t of svc.targets) {
      for (const p of svc.phases) {
        const id = formatStepRef({ service: svc.name, target: t.host.name, phase: p.id, rollback: false });
        ordered.push(byId.get(id) ?? blankStep(runId, id));
        byId.delete(id);
      }
    }
  }
  // Rollback steps exist only when a rollback ran; keep them in the order they started.
  return [...ordered, ...byId.values()];
}

function stepRow(s: StepRecord): string[] {
  const mark =
    s.state === 'failed'
      ? color.red(MARK[s.state])
      : s.state === 'succeeded'
        ? color.green(MARK[s.state])
        : MARK[s.state];
  const detail =
    s.error && s.state === 'failed'
      ? color.red(`[${s.error.code}] ${s.error.message}`)
      : color.dim(s.note ?? '');
  const attempts = s.attempts > 1 ? color.dim(`×${s.attempts}`) : '';
  return [
    `  ${mark} ${s.stepId}`,
    s.durationMs === null ? '' : formatDuration(s.durationMs),
    attempts,
    detail,
  ];
}

/** A step's row; a failed one's error may carry the last lines of output of the service that exited. */
function stepRows(s: StepRecord): string[][] {
  const lines = s.state === 'failed' ? s.error?.details?.lastLines : undefined;
  if (!Array.isArray(lines) || lines.length === 0) return [stepRow(s)];
  return [stepRow(s), ...lines.map((line) => ['', '', '', color.dim(`│ ${String(line)}`)])];
}

/** Past this many steps a section is summarised per service (`marshal show --all` lists them all). */
export const STEP_LIST_LIMIT = 200;
/** Steps that need a look, still listed one by one in a summary (at most ATTENTION_LIMIT). */
const NEEDS_A_LOOK = new Set<StepRecord['state']>(['failed', 'waiting', 'running', 'cancelled']);
const ATTENTION_LIMIT = 50;
const STATE_ORDER: StepRecord['state'][] = [
  'succeeded',
  'failed',
  'waiting',
  'running',
  'cancelled',
  'skipped',
  'pending',
];

/**
 * A large section in a few lines: per service, its steps counted by state and the slowest one;
 * then each step that needs a look. A fleet of 10,000 hosts makes 30,000 steps.
 */
function summarised(steps: readonly StepRecord[]): string[] {
  const services = new Map<string, StepRecord[]>();
  for (const s of steps) {
    const name = servicePathOf(s.stepId) ?? s.stepId;
    const list = services.get(name) ?? [];
    list.push(s);
    services.set(name, list);
  }
  const rows = [...services].map(([name, list]) => {
    const counts = new Map<StepRecord['state'], number>();
    let slowest: StepRecord | undefined;
    for (const s of list) {
      counts.set(s.state, (counts.get(s.state) ?? 0) + 1);
      if (s.durationMs !== null && s.durationMs > (slowest?.durationMs ?? -1)) slowest = s;
    }
    const states = STATE_ORDER.filter((state) => counts.has(state)).map(
      (state) => `${counts.get(state)} ${stateText(state)}`,
    );
    const slow =
      slowest?.durationMs == null
        ? ''
        : color.dim(`slowest ${slowest.stepId} ${formatDuration(slowest.durationMs)}`);
    return [`  ${name}`, `${list.length} steps`, states.join(', '), slow];
  });
  const attention = steps.filter((s) => NEEDS_A_LOOK.has(s.state));
  const lines = [table(rows)];
  if (attention.length > 0) lines.push(table(attention.slice(0, ATTENTION_LIMIT).flatMap(stepRows)));
  if (attention.length > ATTENTION_LIMIT) lines.push(`  … and ${attention.length - ATTENTION_LIMIT} more`);
  return lines;
}

function stepSection(run: RunRecord, steps: readonly StepRecord[], all: boolean): string[] {
  if (steps.length === 0) return ['  (none)'];
  if (all || steps.length <= STEP_LIST_LIMIT) return [table(steps.flatMap(stepRows))];
  return [
    ...summarised(steps),
    color.dim(`  ${steps.length} steps in all; \`marshal show ${run.id} --all\` lists each one`),
  ];
}

/**
 * `steps` in plan order, as planSteps gives them (show orders them once for text and JSON). A
 * section of more than STEP_LIST_LIMIT steps is summarised unless `all`.
 */
export function renderRun(
  run: RunRecord,
  steps: readonly StepRecord[],
  measurements: Readonly<Record<string, Measurement[]>> = {},
  all = false,
  time: RunTime = runTime(run, []),
): string {
  const lines = [
    `${color.bold(`Run #${run.id}`)}  ${run.kind} to ${run.environment}  ${stateText(run.state)}`,
    table([
      ['  actor', run.actor],
      ['  reason', run.reason ?? '—'],
      ['  config', run.configDigest.slice(0, 12)],
      ['  created', new Date(run.createdAt).toISOString()],
      ['  took', tookText(time)],
      ['  versions', versionsText(changesOf(run.plan))],
      ...(run.error ? [['  outcome', color.red(run.error.message)]] : []),
    ]),
    '',
  ];
  const forward = steps.filter((s) => !isRollbackStep(s.stepId));
  const rollback = steps.filter((s) => isRollbackStep(s.stepId));
  lines.push(color.bold('Steps'), ...stepSection(run, forward, all));
  const analysed = Object.entries(measurements);
  if (analysed.length > 0) {
    lines.push(color.bold('Analyses'));
    for (const [stepId, list] of analysed) {
      const step = steps.find((s) => s.stepId === stepId);
      const verdict =
        step?.state === 'failed' ? (step.error?.message ?? 'failed') : (step?.note ?? step?.state ?? '');
      lines.push(`  ${stepId}: ${verdict}`);
      const mark = {
        success: color.green('✓'),
        failure: color.red('✗'),
        inconclusive: color.yellow('?'),
        error: color.red('!'),
      };
      lines.push(`    ${list.map((m) => `${m.value ?? '—'} ${mark[m.outcome]}`).join(', ')}`);
    }
  }
  if (rollback.length > 0) {
    lines.push(color.bold('Rollback'), ...stepSection(run, rollback, all));
  }
  return lines.join('\n');
}

/**
 * The few lines printed when a deploy, rollback or resume ends. `steps` are the run's
 * failed and rollback steps (a succeeded run passes none: counts say enough).
 */
export function renderOutcome(
  run: RunSummary,
  counts: Partial<Record<StepRecord['state'], number>>,
  steps: readonly StepRecord[],
  time: RunTime = runTime(run, []),
): string {
  const total = Object.values(counts).reduce((n, c) => n + c, 0);
  const lines = [
    `${color.bold(`Run #${run.id}`)} ${stateText(run.state)} in ${tookText(time)} — ${run.kind} of ${run.environment}: ${versionsText(run.changes)}`,
    color.dim(`  ${counts.succeeded ?? 0} of ${total} steps succeeded`),
  ];
  const failed = steps.filter((s) => s.state === 'failed');
  if (run.state === 'succeeded' && failed.length > 0) {
    const hosts = new Set(failed.map((f) => targetPathOf(f.stepId) ?? f.stepId));
    lines.push(
      color.yellow(
        `  warning: ${hosts.size} target${hosts.size === 1 ? '' : 's'} failed within the failure budget and were left as they are: ${[...hosts].join(', ')}`,
      ),
    );
  }
  for (const f of failed)
    lines.push(`  ${color.red('failed')}  ${f.stepId}: [${f.error?.code}] ${f.error?.message}`);
  const skipped = counts.skipped ?? 0;
  if (skipped > 0)
    lines.push(
      color.dim(`  skipped ${skipped} step${skipped === 1 ? '' : 's'} (upstream failed or run stopped)`),
    );
  const restored = new Set(
    steps
      .filter((s) => isRollbackStep(s.stepId) && s.state === 'succeeded')
      .map((s) => targetPathOf(s.stepId) ?? s.stepId),
  );
  if (restored.size > 0) lines.push(`  rolled back: ${[...restored].join(', ')}`);
  if (run.state === 'failed' && run.error)
    lines.push(color.yellow('  targets were left as they failed (--no-rollback)'));
  if (run.state === 'cancelled') {
    if (run.error) lines.push(color.yellow(`  ${run.error.message}`));
    lines.push(`  resumable: marshal resume ${run.id}`);
  }
  if (run.state !== 'succeeded')
    lines.push(
      color.dim(
        `  details: marshal show ${run.id}; output: marshal logs ${run.id}${failed[0] ? ` --step ${failed[0].stepId}` : ''}`,
      ),
    );
  return lines.join('\n');
}
