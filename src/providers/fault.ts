/**
 * Crash points for the crash tests: with `MARSHAL_FAULT=<point>` (or `<point>#<n>`, the n-th
 * time it is reached) in its environment, the process kills itself with SIGKILL there — as an
 * OOM kill or a torn-down CI runner would, with no chance to clean up. Unset, a point costs one
 * comparison.
 */
const [point, nth] = (process.env.MARSHAL_FAULT ?? '').split('#');
let remaining = nth === undefined ? 1 : Number(nth);

/** Dies here when the environment names this point (tests only). */
export function crashPoint(name: string): void {
  if (point !== name) return;
  remaining -= 1;
  if (remaining === 0) process.kill(process.pid, 'SIGKILL');
}
