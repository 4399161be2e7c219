/** The end-to-end tests run the compiled, bundled CLI: build it once before any test file runs. */
import { execFileSync } from 'node:child_process';

export default function setup(): void {
  const root = new URL('..', import.meta.url).pathname;
  execFileSync(process.execPath, [`${root}node_modules/typescript/bin/tsc`, '-p', 'tsconfig.json'], {
    cwd: root,
    stdio: 'inherit',
  });
  execFileSync(process.execPath, [`${root}scripts/bundle.mjs`], { cwd: root, stdio: 'inherit' });
}
