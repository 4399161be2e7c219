/** A plan as people read it: what changes, in what order, how long. */
import { formatDuration } from '../../model/duration.js';
import type { Plan, PlannedService } from '../../model/plan.js';
import { color, table } from '../output.js';

/** Services grouped into waves: each wave needs only earlier waves. */
export function waves(plan: Plan): string[][] {
  const level = new Map<string, number>();
  for (const svc of plan.services) {
    // A loop, not Math.max(...needs), and pushes, not a copy per name: a plan may hold tens of
    // thousands of services, in one wave or needing one another.
    let l = 0;
    for (const n of svc.needs) l = Math.max(l, (level.get(n) ?? -1) + 1);
    level.set(svc.name, l);
  }
  const out: string[][] = [];
  for (const [name, l] of level) {
    out[l] ??= [];
    out[l].push(name);
  }
  return out;
}

function phasesText(svc: PlannedService): string {
  const perTarget = svc.phases.map((p) => p.id).join(' → ') || '(record only)';
  const delivery = svc.delivery;
  if (delivery === null) return perTarget;
  // Blue-green and canary: the new slot first, then the service-level steps in order.
  const steps = delivery.steps.map((s) => {
    switch (s.kind) {
      case 'route':
        return `weight ${s.weight}%`;
      case 'pause':
        return `pause ${formatDuration(s.ms)}`;
      case 'approve':
        return 'wait for approval';
      case 'analysis':
        return `analysis ${s.name}`;
      case 'promote':
        return 'promote 100%';
      case 'retire':
        return `stop ${delivery.fromSlot ?? 'old'} after ${formatDuration(s.ms)}`;
      default:
        return s satisfies never;
    }
  });
  return `${perTarget} (in ${delivery.slot}) ⇒ ${steps.join(' → ')} [${delivery.strategy} via ${delivery.router.name}]`;
}

function targetsText(svc: PlannedService): string {
  const n = svc.targets.length;
  const batches =
    svc.batches.length > 1 ? ` in ${svc.batches.length} batches (${svc.batches.join(', ')})` : '';
  return `${n} target${n === 1 ? '' : 's'}${batches}`;
}

export function renderPlan(plan: Plan, verbose: boolean): string {
  const lines: string[] = [];
  const title = plan.kind === 'rollback' ? 'Rollback' : 'Deploy';
  lines.push(
    color.bold(`${title} plan for ${plan.environment}`) +
      color.dim(`  (config ${plan.configDigest.slice(0, 12)})`),
  );
  if (plan.services.length === 0) {
    lines.push(`Nothing to change: every selected service in ${plan.environment} is at its desired version.`);
    return lines.join('\n');
  }
  lines.push('');
  const rows = plan.services.map((svc) => [
    `  ${svc.name}`,
    `${svc.from ?? '—'} → ${color.bold(svc.to)}`,
    targetsText(svc),
    phasesText(svc),
    svc.needs.length > 0 ? color.dim(`needs ${svc.needs.join(', ')}`) : '',
  ]);
  for (const u of plan.unchanged)
    rows.push([`  ${u.service}`, color.dim(`= ${u.version ?? '—'}`), color.dim('unchanged'), '', '']);
  lines.push(table(rows));
  if (verbose) {
    lines.push('');
    for (const svc of plan.services) {
      for (const t of svc.targets)
        lines.push(color.dim(`  ${svc.name}/${t.host.name}: ${t.from ?? '—'} → ${svc.to}  (${t.host.root})`));
    }
  }
  lines.push('');
  const order = waves(plan).map((w) => w.join(', '));
  lines.push(`Order:    ${order.join(' → ')}`);
  const steps = plan.services.reduce((n, s) => n + s.targets.length * s.phases.length, 0);
  const targets = plan.services.reduce((n, s) => n + s.targets.length, 0);
  const estimate = plan.estimate
    ? `; estimate ~${formatDuration(plan.estimate.ms)} (${plan.estimate.basis === 'history' ? 'from history' : 'no history yet'})`
    : '';
  lines.push(
    `Steps:    ${steps} on ${targets} targets, ${order.length} wave${order.length === 1 ? '' : 's'}${estimate}`,
  );
  lines.push(
    `Failure:  ${plan.rollbackOnFailure ? 'roll back every changed target, in reverse order' : 'leave targets as they failed (--no-rollback)'}`,
  );
  return lines.join('\n');
}
