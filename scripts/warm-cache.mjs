// Writes the V8 code caches bin/marshal.js loads the bundle with, by running the commands
// they are for: a cache holds the functions that had run when it was written, so a cache left
// to the first command after a build (a typo, a `--help`) would cover almost nothing of a
// deploy, and every deploy would compile that code again. The project has both kinds of
// service — steps only, and a release uploaded to hosts and switched — so that the code of
// either is in the cache (W3 of the benchmark: 2% faster with releases covered). Run by
// `npm run build`.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
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
  web:
    group: web
    needs: [api]
    artifact: artifact/{{ version }}
    health:
      command: test -f {{ host.root }}/web/current/RELEASE
environments:
  dev:
    groups:
      app:
        hosts: [h1, h2]
      web:
        hosts: [{ name: w1, root: hosts/w1 }, { name: w2, root: hosts/w2 }]
`,
  );
  for (const version of ['v1', 'v2']) {
    mkdirSync(join(dir, 'artifact', version), { recursive: true });
    writeFileSync(join(dir, 'artifact', version, 'RELEASE'), `${version}\n`);
  }
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
