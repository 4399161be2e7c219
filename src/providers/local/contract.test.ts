/** The Provider contract on the local provider: targets are directories on this machine. */
import { execFile } from 'node:child_process';
import { mkdir, realpath } from 'node:fs/promises';
import { join } from 'node:path';
import { runProviderContract } from '../../testing/provider-contract.js';
import { inDeployRoot } from '../../testing/provider-contract-fixtures.js';
import { removeDir, targetContext, tempDir } from '../../testing/provider-testkit.js';
import { LocalProvider } from './provider.js';

/** Runs `script` with /bin/sh here; its stdout lines. */
function sh(script: string): Promise<string[]> {
  return new Promise((resolve, reject) => {
    execFile('/bin/sh', ['-c', script], { maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      if (err !== null) return reject(new Error(`sh: ${stderr.trim() || err.message}`));
      resolve(stdout === '' ? [] : stdout.replace(/\n$/, '').split('\n'));
    });
  });
}

runProviderContract('local', {
  async open() {
    // Real: the provider names its processes' marker and directories by the paths it is given.
    const base = await realpath(await tempDir('marshal-contract-local-'));
    let targets = 0;
    return {
      newProvider: () => new LocalProvider(),
      async newTarget(service, projectDir) {
        const root = join(base, `t${++targets}`);
        await mkdir(root);
        return targetContext(root, projectDir, service);
      },
      sh: (target, command) => sh(inDeployRoot(target.host.root, command)),
      address: '127.0.0.1',
      node: process.execPath,
      close: () => removeDir(base),
    };
  },
});
