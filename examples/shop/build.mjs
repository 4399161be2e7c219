// Builds release artifacts: build/<service>-<version>/ for every service.
// `node build.mjs v3 --defect api` builds a v3 whose api fails its health check.
import { cpSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';

const [version, flag, broken] = process.argv.slice(2);
if (!version) throw new Error('usage: node build.mjs <version> [--defect <service>]');
for (const service of ['db', 'api', 'worker', 'web']) {
  const dir = new URL(`./build/${service}-${version}/`, import.meta.url);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  cpSync(new URL('./app/', import.meta.url), dir, { recursive: true });
  const release = { service, version };
  if (flag === '--defect' && broken === service) Object.assign(release, { healthy: false, defect: 'payments client misconfigured' });
  writeFileSync(new URL('release.json', dir), `${JSON.stringify(release, null, 2)}\n`);
}
console.log(`built ${version}${broken ? ` (with a defect in ${broken})` : ''}`);
