// Bundles the CLI into one CommonJS file, dist/bundle/marshal.cjs, which bin/marshal.js loads
// through V8's code cache. Resolving and compiling ~150 modules one by one costs more start-up
// time than the work of a small deploy; one file compiled from a cache costs a fraction.
// better-sqlite3's JavaScript is bundled too; its native addon is loaded by path (src/store/sqlite/native.ts).
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { chdir } from 'node:process';
import { build } from 'esbuild';

chdir(new URL('..', import.meta.url).pathname);
rmSync('dist/bundle', { recursive: true, force: true });
// ESM dependencies read import.meta.url, which CommonJS lacks: give them this file's URL.
const shim = 'dist/import-meta-url.js';
// fdir (under tinyglobby) loads picomatch from node_modules when it starts, for its own
// `.glob()`, which tinyglobby never calls (it brings its own, bundled, picomatch): 5 ms of
// every command. The build fails if fdir changes so that this no longer applies.
const skipFdirPicomatch = {
  name: 'skip-fdir-picomatch',
  setup(b) {
    b.onLoad({ filter: /[\\/]fdir[\\/]dist[\\/]index\.mjs$/ }, (args) => {
      const source = readFileSync(args.path, 'utf8');
      const load = /__require\.resolve\("picomatch"\);\s*pm = __require\("picomatch"\);/;
      if (!load.test(source)) throw new Error(`${args.path}: picomatch is no longer loaded as expected`);
      return { contents: source.replace(load, ''), loader: 'js' };
    });
  },
};
// commander requires node:child_process when it loads, for executable subcommands, which
// Marshal does not have: ~4 ms of every command that starts no process (status, history,
// --help). Loaded when first used instead. The build fails if commander changes so that this
// no longer applies.
const lazyCommanderChildProcess = {
  name: 'lazy-commander-child-process',
  setup(b) {
    b.onLoad({ filter: /[\\/]commander[\\/]lib[\\/]command\.js$/ }, (args) => {
      const source = readFileSync(args.path, 'utf8');
      const load = "const childProcess = require('node:child_process');";
      if (!source.includes(load))
        throw new Error(`${args.path}: child_process is no longer loaded as expected`);
      const lazy = "const childProcess = { spawn: (...a) => require('node:child_process').spawn(...a) };";
      return { contents: source.replace(load, lazy), loader: 'js' };
    });
  },
};
writeFileSync(shim, "export const importMetaUrl = require('node:url').pathToFileURL(__filename).href;\n");
await build({
  entryPoints: ['src/cli/main.ts'],
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  outfile: 'dist/bundle/marshal.cjs',
  define: { 'import.meta.url': 'importMetaUrl' },
  inject: [shim],
  plugins: [skipFdirPicomatch, lazyCommanderChildProcess],
  // Loaded from node_modules, and only when a config is validated (a project-cache miss): a
  // deploy from the cache never runs them, and leaving their 460 KB out of the bundle saves
  // reading and deserialising it on every command.
  external: ['yaml', 'js-yaml', 'zod'],
  sourcemap: 'linked',
  legalComments: 'none',
  logLevel: 'warning',
  // Whitespace and syntax only (names stay, so stacks read as the source): a third less to
  // read and a smaller code cache to deserialise on every command.
  minifyWhitespace: true,
  minifySyntax: true,
});
rmSync(shim);
