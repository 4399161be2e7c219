// Bundles the CLI into one CommonJS file, dist/bundle/marshal.cjs, which bin/marshal.js loads
// through V8's code cache. Resolving and compiling ~150 modules one by one costs more start-up
// time than the work of a small deploy; one file compiled from a cache costs a fraction.
// better-sqlite3 stays external: it loads a native addon.
import { rmSync, writeFileSync } from 'node:fs';
import { chdir } from 'node:process';
import { build } from 'esbuild';

chdir(new URL('..', import.meta.url).pathname);
rmSync('dist/bundle', { recursive: true, force: true });
// ESM dependencies read import.meta.url, which CommonJS lacks: give them this file's URL.
const shim = 'dist/import-meta-url.js';
writeFileSync(shim, "export const importMetaUrl = require('node:url').pathToFileURL(__filename).href;\n");
await build({
  entryPoints: ['src/cli/main.ts'],
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  outfile: 'dist/bundle/marshal.cjs',
  external: ['better-sqlite3'],
  define: { 'import.meta.url': 'importMetaUrl' },
  inject: [shim],
  sourcemap: 'linked',
  legalComments: 'none',
  logLevel: 'warning',
});
rmSync(shim);
