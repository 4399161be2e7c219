#!/usr/bin/env node
// Launcher, CommonJS (bin/package.json): Node starts a CommonJS entry a few milliseconds
// sooner than an ES module, and every command pays for start-up.
//
// The CLI is compiled and bundled into dist/bundle/marshal.cjs by `npm run build`; it is
// loaded through V8's code cache (kept beside it, named after the bundle's size and time,
// written by the build — scripts/warm-cache.mjs — or else after the first run) so that a
// command does not recompile the bundle. A cache holds the functions that had run when it was
// written, so commands that execute runs keep their own: a deploy loaded with the cache
// `--help` wrote would compile its code anew each time.
'use strict';
const { readFileSync, renameSync, statSync, writeFileSync } = require('node:fs');
const { createRequire, Module } = require('node:module');
const { dirname, join } = require('node:path');
const vm = require('node:vm');

const RUN_COMMANDS = new Set(['deploy', 'rollback', 'resume', 'approve', 'reject']);
const file = join(__dirname, '..', 'dist', 'bundle', 'marshal.cjs');
const info = statSync(file);
const group = process.argv.slice(2).some((a) => RUN_COMMANDS.has(a)) ? 'run' : 'cli';
const cacheFile = `${file}.${info.size}-${Math.round(info.mtimeMs)}.${group}.cache`;
let cachedData;
try {
  cachedData = readFileSync(cacheFile);
} catch {
  cachedData = undefined;
}
const script = new vm.Script(Module.wrap(readFileSync(file, 'utf8')), { filename: file, cachedData });
const bundle = { exports: {} };
script.runInThisContext()(bundle.exports, createRequire(file), bundle, file, dirname(file));

bundle.exports.main(process.argv.slice(2)).then((code) => {
  if (cachedData === undefined || script.cachedDataRejected) {
    try {
      const temp = `${cacheFile}.${process.pid}`;
      writeFileSync(temp, script.createCachedData());
      renameSync(temp, cacheFile);
    } catch {
      // Read-only installs run without a cache.
    }
  }
  // Exit explicitly once stdout is flushed: keep-alive sockets of health checks must not hold the process.
  process.stdout.write('', () => process.exit(code));
});
