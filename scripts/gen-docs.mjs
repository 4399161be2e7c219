#!/usr/bin/env node
/**
 * Writes docs/config-reference.md and schema/marshal.schema.json from the
 * config schema, and docs/cli.md from the CLI program. Run after compiling
 * (`npx tsc -p tsconfig.json`, or `npm run docs` for both); tests
 * (src/config/reference.test.ts, src/cli/reference.test.ts) fail when the
 * committed files are stale.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cliReferenceMarkdown } from '../dist/cli/reference.js';
import { configJsonSchema, configReferenceMarkdown } from '../dist/config/reference.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

function write(relative, text) {
  const file = join(root, relative);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, text);
  console.log(`wrote ${relative}`);
}

write('docs/config-reference.md', configReferenceMarkdown());
write('schema/marshal.schema.json', `${JSON.stringify(configJsonSchema(), null, 2)}\n`);
write('docs/cli.md', cliReferenceMarkdown());
