// The db service's migration: `node migrate.mjs` moves the schema to this release's version;
// `node migrate.mjs <version>` moves it to that version (the rollback step passes the version restored).
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';

const release = JSON.parse(readFileSync(new URL('./release.json', import.meta.url), 'utf8'));
const dir = process.env.DB_DATA_DIR;
if (!dir) throw new Error('DB_DATA_DIR is not set');
mkdirSync(dir, { recursive: true });
const file = `${dir}/schema.json`;
let state = { version: null, history: [] };
try {
  state = JSON.parse(readFileSync(file, 'utf8'));
} catch {}
// An empty argument means "no schema" (rolling back a first deploy).
const target = process.argv.length > 2 ? process.argv[2] || null : release.version;
if (state.version === target) {
  console.log(`schema already at ${target ?? '(empty)'}`);
} else {
  console.log(`migrating schema ${state.version ?? '(empty)'} → ${target ?? '(empty)'}`);
  state = { version: target, history: [...state.history, { from: state.version, to: target, at: new Date().toISOString() }] };
  writeFileSync(`${file}.tmp`, JSON.stringify(state, null, 2));
  renameSync(`${file}.tmp`, file);
}
