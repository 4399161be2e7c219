/**
 * The end-to-end tests run the compiled, bundled CLI: build it before any test file runs, but
 * only when dist is stale (scripts/build-state.mjs) — a build costs ~20 s, a unit file's tests
 * a second or two, and `npm test` has just built. The check is repeated under the build's
 * lock (scripts/build.mjs --if-stale), so that of two vitest processes started together one
 * builds and the other waits, then uses that build.
 */
import { execFileSync } from 'node:child_process';
import { isStale } from '../scripts/build-state.mjs';

export default function setup(): void {
  const root = new URL('..', import.meta.url).pathname;
  if (!isStale(root)) return;
  execFileSync(process.execPath, [`${root}scripts/build.mjs`, '--if-stale'], { cwd: root, stdio: 'inherit' });
}
