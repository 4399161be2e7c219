/**
 * The connections of a run: one per user@address:port, opened on first use,
 * shared by every step and channel, kept alive, reopened after a drop, closed
 * by `close()`. Host keys are pinned by known_hosts; a jump host, when
 * configured, is itself a pooled connection the target is tunnelled through.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir, userInfo } from 'node:os';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import type { ClientChannel, ConnectConfig } from 'ssh2';
import { MarshalError } from '../../model/errors.js';
import type { PlannedHost, SshTarget } from '../../model/plan.js';
import { connectError, hostKeyError } from './connect-errors.js';
import { SshConnection } from './connection.js';
import { checkHostKey, knownHostName, parseKnownHosts, preferredAlgorithms } from './known-hosts.js';

export interface SshPoolOptions {
  /** Login name when a host sets no user; default: the local user. */
  localUser?: string;
  /** Agent socket when a host has no identity file; default: SSH_AUTH_SOCK. */
  agentSocket?: string;
  /** known_hosts when a host names none; default: ~/.ssh/known_hosts. */
  defaultKnownHosts?: string;
  /** Channels open at once per connection; default 8 (sshd's MaxSessions default is 10). */
  maxChannelsPerConnection?: number;
}

interface Endpoint {
  address: string;
  port: number;
  user: string;
}

const keyOf = (e: Endpoint) => `${e.user}@${e.address}:${e.port}`;

let ssh2: typeof import('ssh2') | undefined;

/**
 * ssh2, loaded on the first connection through a require bundlers do not
 * follow: it takes ~40 ms to load, which most CLI runs (no SSH) should not
 * pay, and its optional native addons cannot be bundled.
 */
function loadSsh2(): typeof import('ssh2') {
  ssh2 ??= createRequire(import.meta.url)('ssh2') as typeof import('ssh2');
  return ssh2;
}

/** The run's SSH connections, by `user@address:port` (see the file comment). */
export class SshPool {
  private readonly connections = new Map<string, Promise<SshConnection>>();
  private readonly opened = new Map<string, number>();
  private readonly identities = new Map<string, Buffer>();
  /** Pool keys of jump hosts. */
  private readonly bastions = new Set<string>();
  private readonly localUser: string;
  private readonly agentSocket: string | undefined;
  private readonly defaultKnownHosts: string;
  private readonly maxChannels: number;
  private closing = false;

  constructor(options: SshPoolOptions = {}) {
    this.localUser = options.localUser ?? userInfo().username;
    this.agentSocket = options.agentSocket ?? process.env.SSH_AUTH_SOCK;
    this.defaultKnownHosts = options.defaultKnownHosts ?? join(homedir(), '.ssh', 'known_hosts');
    this.maxChannels = options.maxChannelsPerConnection ?? 8;
  }

  /** `user@address:port` of a host: the key of its connection and of {@link connectionsOpened}. */
  hostKey(host: PlannedHost): string {
    return keyOf(this.endpoint(host, sshOf(host)));
  }

  /** Connections opened so far, to one host key or in all. */
  connectionsOpened(hostKey?: string): number {
    if (hostKey !== undefined) return this.opened.get(hostKey) ?? 0;
    let total = 0;
    for (const n of this.opened.values()) total += n;
    return total;
  }

  /** The open connection to `host`, opening it (and its jump host) when there is none. */
  get(host: PlannedHost): Promise<SshConnection> {
    const ssh = sshOf(host);
    const target = this.endpoint(host, ssh);
    const jump = ssh.jump === null ? null : { ...ssh.jump, user: ssh.jump.user ?? target.user };
    const label = `${host.name} (${keyOf(target)}${jump === null ? '' : ` via ${keyOf(jump)}`})`;
    return this.pooled(`${keyOf(target)}${jump === null ? '' : `>${keyOf(jump)}`}`, async () => {
      if (jump === null) return this.open(target, ssh, label);
      this.bastions.add(keyOf(jump));
      const bastion = await this.pooled(keyOf(jump), () => this.open(jump, ssh, `jump host ${keyOf(jump)}`));
      return this.open(target, ssh, label, await tunnel(bastion, target));
    });
  }

  /** Ends every connection: targets first, then the jump hosts that carry their tunnels. */
  async close(): Promise<void> {
    this.closing = true;
    const entries = [...this.connections];
    this.connections.clear();
    const end = async (pending: Promise<SshConnection>) => (await pending.catch(() => null))?.end();
    await Promise.all(entries.filter(([key]) => !this.bastions.has(key)).map(([, p]) => end(p)));
    await Promise.all(entries.filter(([key]) => this.bastions.has(key)).map(([, p]) => end(p)));
    this.closing = false;
  }

  private endpoint(host: PlannedHost, ssh: SshTarget): Endpoint {
    return { address: host.address, port: ssh.port, user: ssh.user ?? this.localUser };
  }

  private pooled(key: string, open: () => Promise<SshConnection>): Promise<SshConnection> {
    const existing = this.connections.get(key);
    if (existing !== undefined) return existing;
    const pending = open();
    this.connections.set(key, pending);
    const forget = () => {
      if (this.connections.get(key) === pending) this.connections.delete(key);
    };
    // A failed attempt or a dropped connection is forgotten: the next step opens a new one.
    pending.then((c) => c.closed.then(forget), forget);
    return pending;
  }

  private async open(to: Endpoint, ssh: SshTarget, label: string, sock?: Duplex): Promise<SshConnection> {
    if (this.closing) throw new MarshalError('PROVIDER_ERROR', `not connecting to ${label}: closing`);
    const knownHostsFile = ssh.knownHostsFile ?? this.defaultKnownHosts;
    const entries = parseKnownHosts(readOptional(knownHostsFile));
    const hostName = knownHostName(to.address, to.port);
    let refusal: MarshalError | undefined;
    const client = new (loadSsh2().Client)();
    const config: ConnectConfig = {
      host: to.address,
      port: to.port,
      username: to.user,
      readyTimeout: ssh.connectTimeoutMs,
      keepaliveInterval: ssh.keepaliveMs,
      keepaliveCountMax: 3,
      algorithms: { serverHostKey: preferredAlgorithms(entries, hostName) },
      hostVerifier: (key: Buffer) => {
        const verdict = checkHostKey(entries, hostName, key);
        if (verdict.verdict === 'trusted') return true;
        refusal = hostKeyError(verdict, hostName, key, knownHostsFile);
        return false;
      },
      ...this.auth(ssh, label),
      ...(sock === undefined ? {} : { sock }),
    };
    const connection = new SshConnection(client, keyOf(to), label, this.maxChannels);
    await new Promise<void>((resolve, reject) => {
      let settled = false;
      const fail = (error: MarshalError) => {
        if (settled) return;
        settled = true;
        // A tunnel through a jump host outlives a failed handshake unless closed here.
        sock?.destroy();
        reject(error);
      };
      const failed = (err: Error) =>
        fail(refusal ?? connectError(err, label, keyOf(to), ssh.connectTimeoutMs));
      client.once('ready', () => {
        settled = true;
        resolve();
      });
      client.on('error', failed);
      client.once('close', () => failed(new Error('connection closed during the handshake')));
      try {
        client.connect(config);
        // Without it every command waits on Nagle + delayed ACK: ~45 ms a round trip instead of ~3 ms.
        client.setNoDelay(true);
      } catch (err) {
        // ssh2 throws synchronously for a key it cannot parse (encrypted, unknown format).
        const why = (err as Error).message;
        fail(
          new MarshalError('PROVIDER_ERROR', `cannot connect to ${label}: ${why}`, {
            retryable: false,
            cause: err,
            details: { host: keyOf(to) },
          }),
        );
      }
    });
    this.opened.set(connection.key, (this.opened.get(connection.key) ?? 0) + 1);
    return connection;
  }

  private auth(ssh: SshTarget, label: string): Pick<ConnectConfig, 'privateKey' | 'agent'> {
    if (ssh.identityFile !== null) {
      let key = this.identities.get(ssh.identityFile);
      if (key === undefined) {
        try {
          key = readFileSync(ssh.identityFile);
        } catch (cause) {
          throw new MarshalError('PROVIDER_ERROR', `cannot read identity file ${ssh.identityFile}`, {
            retryable: false,
            cause,
          });
        }
        this.identities.set(ssh.identityFile, key);
      }
      return { privateKey: key };
    }
    if (this.agentSocket !== undefined && this.agentSocket !== '') return { agent: this.agentSocket };
    throw new MarshalError(
      'PROVIDER_ERROR',
      `no way to log in to ${label}: no identity file and no SSH agent`,
      {
        retryable: false,
        hint: 'set ssh.identityFile, or start an agent (SSH_AUTH_SOCK) holding the key',
      },
    );
  }
}

function sshOf(host: PlannedHost): SshTarget {
  if (host.ssh === null) {
    throw new MarshalError('PROVIDER_ERROR', `host ${host.name} has no ssh settings`, { retryable: false });
  }
  return host.ssh;
}

function readOptional(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

/** A TCP stream from the jump host to the target. */
function tunnel(bastion: SshConnection, to: Endpoint): Promise<ClientChannel> {
  return new Promise((resolve, reject) => {
    bastion.client.forwardOut('127.0.0.1', 0, to.address, to.port, (err, stream) => {
      if (!err) return resolve(stream);
      reject(
        new MarshalError(
          'PROVIDER_ERROR',
          `${bastion.label} cannot reach ${to.address}:${to.port}: ${err.message}`,
          { cause: err, details: { host: keyOf(to) } },
        ),
      );
    });
  });
}
