// Whether dist/ was built from the sources as they are now. The build (scripts/build.mjs)
// records a digest of everything it reads; vitest's global set-up rebuilds only when the
// digest of the inputs now differs, so a run of one unit file does not pay for a build.
// A digest of contents, not a comparison of times: switching branches, or an editor that
// keeps a file's time, cannot fool it, and an edit made while a build runs leaves dist stale.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Where the build records the digest of the inputs it was built from. */
export const STAMP = 'dist/.build-inputs';

/** Outputs without which dist is not built, whatever the stamp says (someone removed them). */
const OUTPUTS = ['dist/cli/main.js', 'dist/bundle/marshal.cjs'];

/**
 * Every file the build reads, relative to root, sorted: the sources tsc compiles and esbuild
 * bundles (tsconfig.json's include and exclude: tests and fixtures/ are not built), the build's
 * scripts and settings, and what is installed (npm writes node_modules/.package-lock.json on
 * every install; the bundle carries commander, better-sqlite3 …).
 */
export function buildInputs(root) {
  const sources = readdirSync(join(root, 'src'), { recursive: true })
    .map((f) => `src/${f.split('\\').join('/')}`)
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && !f.includes('/fixtures/'));
  const others = [
    'scripts/build.mjs',
    'scripts/build-state.mjs',
    'scripts/bundle.mjs',
    'scripts/warm-cache.mjs',
    // warm-cache.mjs writes the code caches by running the CLI through its launcher.
    'bin/marshal.js',
    'tsconfig.json',
    'package.json',
    'package-lock.json',
    'node_modules/.package-lock.json',
  ];
  return [...sources, ...others.filter((f) => existsSync(join(root, f)))].sort();
}

/** A digest of the inputs' names and contents, and of Node's version (the code caches are V8's). */
export function inputsDigest(root) {
  const hash = createHash('sha256').update(`${process.version}\0`);
  for (const file of buildInputs(root)) {
    hash
      .update(`${file}\0`)
      .update(readFileSync(join(root, file)))
      .update('\0');
  }
  return hash.digest('hex');
}

/** True when dist must be (re)built: never built, built from other inputs, or outputs missing. */
export function isStale(root) {
  if (OUTPUTS.some((f) => !existsSync(join(root, f)))) return true;
  let recorded;
  try {
    recorded = readFileSync(join(root, STAMP), 'utf8');
  } catch {
    return true;
  }
  return recorded !== inputsDigest(root);
}

/** Records that dist was built from inputs whose digest is `digest` (taken before the build read them). */
export function writeStamp(root, digest) {
  writeFileSync(join(root, STAMP), digest);
}
