/**
 * The Provider contract on the ssh provider: the target is a real sshd host, its own Unix user
 * on this machine; the tests look at it through OpenSSH's client.
 */
import { runProviderContract } from '../../testing/provider-contract.js';
import { inDeployRoot } from '../../testing/provider-contract-fixtures.js';
import { startSshdHosts } from '../../testing/sshd-hosts.js';
import { openSshShell } from '../../testing/sshd-shell.js';
import { sshTargetContext } from '../../testing/sshd-targets.js';
import { SshProvider } from './provider.js';

runProviderContract('ssh', {
  async open() {
    const sshd = await startSshdHosts(1);
    const shell = await openSshShell(sshd, 'host1').catch(async (err: unknown) => {
      await sshd.stop();
      throw err;
    });
    let targets = 0;
    return {
      newProvider: () => new SshProvider(),
      async newTarget(service, projectDir) {
        // In the login user's home, and with a space: every path goes through the scripts quoted.
        const root = `deploy roots/t${++targets}`;
        return sshTargetContext(sshd, 'host1', { root, service, projectDir });
      },
      sh: (target, command) => shell.run(inDeployRoot(target.host.root, command)),
      address: '127.0.0.1',
      node: process.execPath,
      async close() {
        await shell.close();
        await sshd.stop();
      },
    };
  },
});
