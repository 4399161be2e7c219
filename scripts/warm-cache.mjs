// Writes the V8 code caches bin/marshal.js loads the bundle with, by running the commands
// they are for: a cache holds the functions that had run when it was written, so a cache left
// to the first command after a build (a typo, a `--help`) would cover almost nothing of a
// deploy, and every deploy would compile that code again. Run by `npm run build`.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const marshal = join(root, 'bin', 'marshal.js');
const removeCaches = () => {
  for (const f of readdirSync(join(root, 'dist', 'bundle'))) {
    if (f.endsWith('.cache')) rmSync(join(root, 'dist', 'bundle', f));
  }
};
const dir = mkdtempSync(join(tmpdir(), 'marshal-warm-'));
try {
  writeFileSync(
    join(dir, 'marshal.yaml'),
    `services:
  db:
    group: app
    steps: [{ run: "true" }]
  api:
    group: app
    needs: [db]
    steps: [{ run: "true" }, { run: "echo ready" }]
    health:
      command: "true"
environments:
  dev:
    groups:
      app:
        hosts: [h1, h2]
`,
  );
  const env = { ...process.env, NO_COLOR: '1' };
  const run = (...args) =>
    execFileSync(process.execPath, [marshal, ...args], { cwd: dir, env, stdio: 'ignore' });
  // The first deploy validates the config and creates the store; the caches come from the
  // commands as they usually run: a deploy from the project cache, then `status`.
  run('deploy', 'dev', '--version', 'v1', '-q');
  removeCaches();
  run('deploy', 'dev', '--version', 'v2', '-q');
  run('status');
} finally {
  rmSync(dir, { recursive: true, force: true });
}
