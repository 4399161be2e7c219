/**
 * One full garbage collection, now. V8 sizes the old generation from the live size of its
 * last full collection (up to 4×): one taken while a large, short-lived structure was live (a
 * parser's syntax tree, a planner's view of every target) lets the next phase fill that room
 * with garbage before V8 collects again — peak memory that no data needs. Callers collect
 * once such a structure is gone, and only when it was large (loading `node:v8` costs ~1.5 ms).
 */
import { createRequire } from 'node:module';

export function collectGarbage(): void {
  try {
    // require, not import(): the bundle runs in a vm.Script, which has no loader for import().
    const require = createRequire(import.meta.url);
    const v8 = require('node:v8') as typeof import('node:v8');
    v8.setFlagsFromString('--expose-gc');
    // `gc` is exposed to a fresh context once the flag is set.
    const vm = require('node:vm') as typeof import('node:vm');
    (vm.runInNewContext('gc') as () => void)();
  } catch {
    // Only an optimisation: the command goes on with V8's own schedule.
  }
}
