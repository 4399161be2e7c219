import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Action, TargetContext } from '../../model/provider.js';
import { recordingIO, removeDir, tempDir } from '../../testing/provider-testkit.js';
import { type SshdHosts, startSshdHosts } from '../../testing/sshd-hosts.js';
import { sshTargetContext } from '../../testing/sshd-targets.js';
import { CLOSE_GRACE_MS } from './connection.js';
import { SshProvider } from './provider.js';

let sshd: SshdHosts;
let work: string;
const providers: SshProvider[] = [];

beforeAll(async () => {
  [sshd, work] = await Promise.all([startSshdHosts(4), tempDir()]);
});
afterAll(async () => {
  await Promise.all(providers.map((p) => p.close()));
  await sshd?.stop();
  await removeDir(work);
});

function newProvider(): SshProvider {
  const provider = new SshProvider();
  providers.push(provider);
  return provider;
}

const exec = (command: string): Action => ({
  kind: 'exec',
  command,
  version: 'v1',
  env: {},
  inRelease: false,
});
const echo = (text: string): Action => exec(`echo ${text}; whoami`);

function sshOf(target: TargetContext) {
  return target.host.ssh as NonNullable<TargetContext['host']['ssh']>;
}

async function waitFor(done: () => boolean): Promise<void> {
  for (let i = 0; i < 100 && !done(); i++) await new Promise((resolve) => setTimeout(resolve, 20));
}

async function run(provider: SshProvider, target: TargetContext, action: Action = echo('hi')) {
  const io = recordingIO();
  await provider.apply(action, target, io);
  return io.text('stdout');
}

describe('ssh connections', () => {
  it('reaches a host through a jump host, pinning both keys', async () => {
    const provider = newProvider();
    const target = sshTargetContext(sshd, 'host2', { jump: 'host1', root: 'deploy' });
    expect(await run(provider, target)).toEqual(['hi', sshd.host('host2').user]);
    expect(await run(provider, target)).toEqual(['hi', sshd.host('host2').user]);
    const jumpKey = `${sshd.host('host1').user}@127.0.0.1:${sshd.host('host1').port}`;
    expect(provider.connectionsOpened(provider.hostKey(target.host))).toBe(1);
    expect(provider.connectionsOpened(jumpKey)).toBe(1);
    // The target saw one login, tunnelled through the bastion.
    expect(sshd.acceptedConnections('host2')).toBe(1);

    const rounds = 10;
    const started = performance.now();
    for (let i = 0; i < rounds; i++) await run(provider, target, exec('true'));
    console.log(
      `ssh exec round trip through a jump host: ${((performance.now() - started) / rounds).toFixed(1)} ms`,
    );
  });

  it('accepts hashed known_hosts entries', async () => {
    const hashed = join(work, 'known_hosts_hashed');
    await copyFile(sshd.knownHostsFile, hashed);
    await promisify(execFile)('ssh-keygen', ['-H', '-f', hashed]);
    const target = sshTargetContext(sshd, 'host1', { root: 'deploy' });
    const host = {
      ...target.host,
      ssh: { ...sshOf(target), knownHostsFile: hashed },
    };
    expect(await run(newProvider(), { ...target, host })).toEqual(['hi', sshd.host('host1').user]);
  });

  it('refuses a host missing from known_hosts', async () => {
    const empty = join(work, 'known_hosts_empty');
    await writeFile(empty, '');
    const target = sshTargetContext(sshd, 'host1', { root: 'deploy' });
    const host = {
      ...target.host,
      ssh: { ...sshOf(target), knownHostsFile: empty },
    };
    const error = await run(newProvider(), { ...target, host }).catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: 'PROVIDER_ERROR',
      retryable: false,
      message: expect.stringMatching(
        new RegExp(
          `^host key of \\[127\\.0\\.0\\.1\\]:${sshd.host('host1').port} not known \\(got SHA256:[A-Za-z0-9+/]{43}\\): refusing to connect$`,
        ),
      ),
      hint: expect.stringContaining(`ssh-keyscan -p ${sshd.host('host1').port} 127.0.0.1 >> ${empty}`),
    });
  });

  it('a dead host fails with a retryable PROVIDER_ERROR naming it; the next step reconnects', async () => {
    const provider = newProvider();
    const target = sshTargetContext(sshd, 'host3', { root: 'deploy' });
    const host = sshd.host('host3');
    expect(await run(provider, target)).toEqual(['hi', host.user]);

    // Mid-command: the connection dies under a running step.
    const controller = new AbortController();
    const pending = provider
      .apply(exec('sleep 10'), target, recordingIO(controller))
      .catch((e: unknown) => e);
    await new Promise((resolve) => setTimeout(resolve, 300));
    sshd.kill('host3');
    expect(await pending).toMatchObject({
      code: 'PROVIDER_ERROR',
      retryable: true,
      message: expect.stringMatching(
        new RegExp(
          `^lost the connection to host3 \\(${host.user}@127\\.0\\.0\\.1:${host.port}\\) during the command`,
        ),
      ),
    });

    // While it is down: no connection at all.
    const down = await run(provider, target).catch((e: unknown) => e);
    expect(down).toMatchObject({
      code: 'PROVIDER_ERROR',
      retryable: true,
      message: `cannot connect to host3 (${host.user}@127.0.0.1:${host.port}): connection refused`,
    });

    await sshd.restart('host3');
    expect(await run(provider, target)).toEqual(['hi', host.user]);
    expect(provider.connectionsOpened(provider.hostKey(target.host))).toBe(2);
  });

  it('closes its connections to a host that stopped answering, direct or through a jump host, within a bound', async () => {
    const direct = newProvider();
    const tunnelled = newProvider();
    await run(direct, sshTargetContext(sshd, 'host2', { root: 'deploy' }));
    await run(tunnelled, sshTargetContext(sshd, 'host2', { jump: 'host1', root: 'deploy' }));
    // A hung VM: the connection stays open and the kernel acknowledges, but nothing answers.
    sshd.freeze('host2');
    try {
      const started = performance.now();
      await Promise.all([direct.close(), tunnelled.close()]);
      expect(performance.now() - started).toBeLessThan(CLOSE_GRACE_MS + 4000);
    } finally {
      sshd.thaw('host2');
    }
  });

  it('refuses a host whose key changed, without retry', async () => {
    const provider = newProvider();
    const target = sshTargetContext(sshd, 'host4', { root: 'deploy' });
    expect(await run(provider, target)).toEqual(['hi', sshd.host('host4').user]);
    await sshd.rotateHostKey('host4');
    const port = sshd.host('host4').port;
    const error = await run(provider, target).catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: 'PROVIDER_ERROR',
      retryable: false,
      message: expect.stringMatching(
        new RegExp(
          `^host key of \\[127\\.0\\.0\\.1\\]:${port} changed \\(got SHA256:[A-Za-z0-9+/]{43}\\): refusing to connect$`,
        ),
      ),
      hint: `if the change is expected, replace the entry for [127.0.0.1]:${port} in ${sshd.knownHostsFile}`,
    });
  });

  it('opens one connection for many steps that start at once', async () => {
    const provider = newProvider();
    const target = sshTargetContext(sshd, 'host1', { root: 'deploy' });
    const outputs = await Promise.all(
      Array.from({ length: 12 }, (_, i) => run(provider, target, exec(`echo ${i}`))),
    );
    expect(outputs).toEqual(outputs.map((_, i) => [String(i)]));
    expect(provider.connectionsOpened()).toBe(1);
  });

  it('logs in with the SSH agent when no identity file is set', async () => {
    const socket = join(work, 'agent.sock');
    const agent = spawn('ssh-agent', ['-D', '-a', socket], { stdio: 'ignore' });
    try {
      await waitFor(() => existsSync(socket));
      await promisify(execFile)('ssh-add', [sshd.identityFile], { env: { SSH_AUTH_SOCK: socket } });
      const provider = new SshProvider({ agentSocket: socket });
      providers.push(provider);
      const target = sshTargetContext(sshd, 'host1', { root: 'deploy' });
      const host = { ...target.host, ssh: { ...sshOf(target), identityFile: null } };
      expect(await run(provider, { ...target, host })).toEqual(['hi', sshd.host('host1').user]);
      await provider.close();
    } finally {
      agent.kill();
    }
    const target = sshTargetContext(sshd, 'host1', { root: 'deploy' });
    const host = { ...target.host, ssh: { ...sshOf(target), identityFile: null } };
    await expect(run(new SshProvider({ agentSocket: '' }), { ...target, host })).rejects.toMatchObject({
      code: 'PROVIDER_ERROR',
      retryable: false,
      message: `no way to log in to host1 (${sshd.host('host1').user}@127.0.0.1:${sshd.host('host1').port}): no identity file and no SSH agent`,
    });
  });

  it('refuses to log in without a key the host accepts', async () => {
    const other = join(work, 'other_key');
    await promisify(execFile)('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', other]);
    const target = sshTargetContext(sshd, 'host1', { root: 'deploy' });
    const host = {
      ...target.host,
      ssh: { ...sshOf(target), identityFile: other },
    };
    await expect(run(newProvider(), { ...target, host })).rejects.toMatchObject({
      code: 'PROVIDER_ERROR',
      retryable: false,
      message: `cannot log in to host1 (${sshd.host('host1').user}@127.0.0.1:${sshd.host('host1').port}): the server accepted none of our keys`,
    });
  });
});
