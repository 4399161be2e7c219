/**
 * Where better-sqlite3's compiled addon lives. Handing its path to the Database constructor
 * skips the `bindings` package's search (a dozen stat calls on every start) and lets
 * better-sqlite3's JavaScript be bundled into the CLI: `bindings` looks for the addon beside
 * its caller's file, which inside the bundle is not better-sqlite3's.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

let found: string | null | undefined;

/** The addon's path, or undefined to let better-sqlite3 search for it itself. */
export function sqliteAddon(): string | undefined {
  if (found === undefined) {
    try {
      const main = createRequire(import.meta.url).resolve('better-sqlite3');
      const file = join(dirname(main), '..', 'build', 'Release', 'better_sqlite3.node');
      found = existsSync(file) ? file : null;
    } catch {
      found = null;
    }
  }
  return found ?? undefined;
}
