// `npm run build`: compiles src/ to dist/ (tsc), bundles the CLI (bundle.mjs) and writes its
// code caches (warm-cache.mjs), then records the digest of the inputs it was built from
// (build-state.mjs). With --if-stale (vitest's global set-up) it builds only when dist is not
// already built from the inputs as they are.
//
// Builds take a lock, dist/.build.lock, so that two at once (two vitest processes started
// together, a test run beside `npm run build`) do not write dist over each other: the second
// waits, then finds dist fresh. It is flock(1)'s, a kernel lock released when its holder dies,
// so a build killed half-way leaves no lock behind to clear.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inputsDigest, isStale, STAMP, writeStamp } from './build-state.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const ifStale = args.includes('--if-stale');

if (!args.includes('--locked')) {
  mkdirSync(join(root, 'dist'), { recursive: true });
  const self = fileURLToPath(import.meta.url);
  const lock = join(root, 'dist', '.build.lock');
  const locked = spawnSync('flock', [lock, process.execPath, self, ...args, '--locked'], {
    stdio: 'inherit',
  });
  // Without flock (util-linux; not on macOS) the build runs unlocked, as it always did.
  if (locked.error?.code !== 'ENOENT') process.exit(locked.status ?? 1);
}

if (ifStale && !isStale(root)) process.exit(0);

// The digest is taken before anything is read: a source edited during the build leaves dist
// stale. The old stamp goes first, so that a build that fails half-way is never taken as done.
const digest = inputsDigest(root);
rmSync(join(root, STAMP), { force: true });
const node = (...argv) => execFileSync(process.execPath, argv, { cwd: root, stdio: 'inherit' });
node(join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json');
node(join(root, 'scripts', 'bundle.mjs'));
node(join(root, 'scripts', 'warm-cache.mjs'));
writeStamp(root, digest);
