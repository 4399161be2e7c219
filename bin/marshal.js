#!/usr/bin/env node
// Launcher. The CLI is compiled and bundled into dist/bundle/marshal.cjs by `npm run build`;
// it is loaded through V8's code cache (kept beside it, named after the bundle's size and
// time, written after the first run) so that a command does not recompile a megabyte of code.
import { readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { createRequire, Module } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';

const file = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'bundle', 'marshal.cjs');
const info = statSync(file);
const cacheFile = `${file}.${info.size}-${Math.round(info.mtimeMs)}.cache`;
let cachedData;
try {
  cachedData = readFileSync(cacheFile);
} catch {
  cachedData = undefined;
}
const script = new vm.Script(Module.wrap(readFileSync(file, 'utf8')), { filename: file, cachedData });
const module = { exports: {} };
script.runInThisContext()(module.exports, createRequire(file), module, file, dirname(file));

const code = await module.exports.main(process.argv.slice(2));
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
