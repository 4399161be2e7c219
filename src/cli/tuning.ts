/**
 * V8 tuning for long runs, applied once a large plan is known (code that has run so far keeps
 * the defaults). Small runs skip it: loading `node:v8` would cost them more than it gains.
 *
 * Interrupt budget: TurboFan optimises a function after little use; its background
 * compilations then compete with the steps' shells for the cores. In a run of thousands of
 * steps a larger budget keeps optimisation for code that is truly hot (W1-1000 runs ~20%
 * faster, a 200,000-step simulated run ~7%).
 *
 * One full collection once the plan is made: planning over a fleet that already runs holds the
 * store's view of every target (200,000 for 20 services × 10,000 hosts) until the plan is
 * built. V8 sizes the old generation from the live size of its last full collection (up to 4×),
 * so a collection during planning let the run fill ~230 MB with garbage before the next one:
 * peak RSS 385 MB for that upgrade. Collected once planning is done, the limit follows what the
 * run keeps: ~240 MB. And the limit is set at twice that live size, not V8's up to four times:
 * a first deploy of one group of 200,000 hosts keeps ~110 MB once planned, and filled ~450 MB
 * of heap with garbage before its first collection (peak RSS 595 → 408 MB, no slower: a full
 * collection of ~80 MB live takes ~0.1 s of a run of ~16 s).
 */
import { createRequire } from 'node:module';
import { collectGarbage } from '../model/heap.js';
import type { Plan } from '../model/plan.js';

const LARGE_RUN_STEPS = 500;
const COLLECT_AFTER_PLANNING_STEPS = 20_000;
let tuned = false;

export function plannedSteps(plan: Plan): number {
  let steps = 0;
  for (const service of plan.services) steps += service.targets.length * service.phases.length;
  return steps;
}

/** Tunes V8 (once per process) when the plan is large; returns whether it did. */
export function tuneForRun(plan: Plan): boolean {
  const steps = plannedSteps(plan);
  if (tuned || steps < LARGE_RUN_STEPS) return false;
  tuned = true;
  // require, not import(): the bundle runs in a vm.Script, which has no loader for import().
  const require = createRequire(import.meta.url);
  const v8 = require('node:v8') as typeof import('node:v8');
  v8.setFlagsFromString('--interrupt-budget=1000000');
  if (steps >= COLLECT_AFTER_PLANNING_STEPS) {
    // Read by V8 each time it sizes the heap, so the collection below already applies it.
    v8.setFlagsFromString('--heap-growing-percent=100');
    collectGarbage();
  }
  return true;
}
