/**
 * Shell commands on a host of an SshdHosts harness through OpenSSH's own client, as an
 * operator would run them: independent of the ssh provider's code, so a test can set up and
 * look at a host without trusting what it tests. One master connection (ControlMaster) carries
 * every command, so each costs a channel, not a handshake.
 */
import { execFile, spawn } from 'node:child_process';
import { join } from 'node:path';
import type { SshdHosts } from './sshd-hosts.js';

export interface SshShell {
  /** Runs `script` with the login shell (/bin/sh) of the host's user; its stdout lines. Rejects on a non-zero exit. */
  run(script: string): Promise<string[]>;
  /** Ends the master connection. */
  close(): Promise<void>;
}

/** Opens the master connection to host `name` of `hosts`. */
export async function openSshShell(hosts: SshdHosts, name: string): Promise<SshShell> {
  const host = hosts.host(name);
  const control = join(hosts.dir, `ssh-control-${name}`);
  const common = [
    ...['-F', '/dev/null', '-S', control, '-p', String(host.port), '-i', hosts.identityFile],
    ...['-o', 'IdentitiesOnly=yes', '-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=yes'],
    ...['-o', `UserKnownHostsFile=${hosts.knownHostsFile}`],
  ];
  const destination = `${host.user}@127.0.0.1`;
  // -f: into the background once logged in. Its output goes nowhere, or the pipes would stay
  // open for as long as it lives.
  const master = spawn('ssh', [...common, '-M', '-N', '-f', destination], { stdio: 'ignore' });
  const code = await new Promise<number | null>((resolve, reject) => {
    master.once('error', reject);
    master.once('exit', resolve);
  });
  if (code !== 0) throw new Error(`ssh to ${destination} (port ${host.port}) exited ${code}`);
  const ssh = (args: string[]) =>
    new Promise<string>((resolve, reject) => {
      execFile('ssh', [...common, ...args], { maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
        if (err === null) return resolve(stdout);
        const code = (err as { code?: unknown }).code;
        reject(new Error(`ssh ${destination}: exit ${String(code)}: ${stderr.trim() || err.message}`));
      });
    });
  return {
    async run(script) {
      const stdout = await ssh(['-o', 'ControlMaster=no', destination, '--', script]);
      return stdout === '' ? [] : stdout.replace(/\n$/, '').split('\n');
    },
    async close() {
      await ssh(['-O', 'exit', destination]).catch(() => undefined);
    },
  };
}
