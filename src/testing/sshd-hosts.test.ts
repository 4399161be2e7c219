import { existsSync, readFileSync } from 'node:fs';
import { Client } from 'ssh2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SshdHost, type SshdHosts, startSshdHosts } from './sshd-hosts.js';

let sshd: SshdHosts;
beforeAll(async () => {
  sshd = await startSshdHosts(2);
});
afterAll(async () => {
  await sshd?.stop();
});

/** Runs `command` on `host` with a fresh connection; resolves with stdout and the exit status. */
function runOn(
  host: SshdHost,
  command: string,
  identityFile = sshd.identityFile,
): Promise<{ stdout: string; code: number | null }> {
  return new Promise((resolve, reject) => {
    const client = new Client();
    client
      .on('ready', () => {
        client.exec(command, (err, stream) => {
          if (err) return reject(err);
          let stdout = '';
          stream.on('data', (chunk: Buffer) => {
            stdout += chunk.toString();
          });
          stream.stderr.on('data', () => undefined);
          stream.on('close', (code: number | null) => {
            client.end();
            resolve({ stdout, code });
          });
        });
      })
      .on('error', reject)
      .connect({
        host: '127.0.0.1',
        port: host.port,
        username: host.user,
        privateKey: readFileSync(identityFile),
        readyTimeout: 5000,
      });
  });
}

describe('startSshdHosts', () => {
  it('starts hosts with their own port, user and home, and pins their keys in known_hosts', async () => {
    const [a, b] = sshd.hosts as [SshdHost, SshdHost];
    expect(a.port).not.toBe(b.port);
    expect(a.user).not.toBe(b.user);
    expect(a.user).toMatch(/^mh[a-z0-9]{4}n1$/);
    const out = await runOn(b, 'whoami; pwd');
    expect(out.code).toBe(0);
    expect(out.stdout.split('\n').slice(0, 2)).toEqual([b.user, b.home]);
    const root = await runOn(a, `touch ${a.root}/x && echo ok`);
    expect(root.stdout.trim()).toBe('ok');
    const knownHosts = readFileSync(sshd.knownHostsFile, 'utf8');
    expect(knownHosts).toContain(`[127.0.0.1]:${a.port} ssh-ed25519 `);
    expect(knownHosts).toContain(`[127.0.0.1]:${b.port} ssh-ed25519 `);
    expect(sshd.acceptedConnections(a.name)).toBeGreaterThanOrEqual(1);
  });

  it('kill() makes connections fail; restart() brings the host back', async () => {
    const host = sshd.host('host2');
    sshd.kill(host.name);
    // Refused; or reset, when the kill came as the kernel had just queued the connection for it.
    await expect(runOn(host, 'true')).rejects.toThrow(/ECONNREFUSED|ECONNRESET/);
    await sshd.restart(host.name);
    expect((await runOn(host, 'echo back')).stdout.trim()).toBe('back');
  });

  it('stop() kills the servers and removes the users', async () => {
    const other = await startSshdHosts(1);
    const host = other.hosts[0] as SshdHost;
    try {
      expect((await runOn(host, 'whoami', other.identityFile)).stdout.trim()).toBe(host.user);
    } finally {
      await other.stop();
    }
    expect(readFileSync('/etc/passwd', 'utf8')).not.toContain(`${host.user}:`);
    await expect(runOn(host, 'true', other.identityFile)).rejects.toThrow();
    expect(existsSync(other.dir)).toBe(false);
  });
});
