// Bundles the CLI into dist/bundle/ (one ESM file plus lazily loaded chunks per command).
// Resolving and compiling ~150 modules one by one costs more start-up time than the work
// of a small deploy; a bundle is read and compiled in one go. better-sqlite3 stays
// external: it loads a native addon.
import { rmSync } from 'node:fs';
import { build } from 'esbuild';

rmSync('dist/bundle', { recursive: true, force: true });

await build({
  entryPoints: { main: 'src/cli/main.ts' },
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  splitting: true,
  outdir: 'dist/bundle',
  chunkNames: 'chunks/[name]-[hash]',
  external: ['better-sqlite3'],
  // Bundled CommonJS dependencies (commander, yaml) call require() for Node built-ins.
  banner: {
    js: "import { createRequire as __marshalRequire } from 'node:module'; const require = __marshalRequire(import.meta.url);",
  },
  sourcemap: 'linked',
  legalComments: 'none',
  logLevel: 'warning',
});
