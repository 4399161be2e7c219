/**
 * Host-key pinning against an OpenSSH known_hosts file. Pure: parsing,
 * matching (plain, `[host]:port`, wildcards, negations, hashed `|1|salt|hash`)
 * and the verdict for a presented key. The connection code reads the file.
 */
import { createHash, createHmac } from 'node:crypto';

export interface KnownHostEntry {
  /** `@revoked` keys are refused; `@cert-authority` lines are skipped (no certificate support). */
  marker: 'revoked' | 'cert-authority' | null;
  /** The comma-separated host patterns, or one hashed name. */
  hosts: string;
  keyType: string;
  key: Buffer;
}

export type HostKeyVerdict =
  | { verdict: 'trusted' }
  /** No entry names the host. */
  | { verdict: 'unknown' }
  /** Entries name the host, none with this key. */
  | { verdict: 'changed'; knownTypes: string[] }
  | { verdict: 'revoked' };

/** The name known_hosts uses for a host: `address`, or `[address]:port` off port 22. */
export function knownHostName(address: string, port: number): string {
  return port === 22 ? address : `[${address}]:${port}`;
}

/** Parses known_hosts text; malformed lines and comments are skipped, as ssh does. */
export function parseKnownHosts(text: string): KnownHostEntry[] {
  const entries: KnownHostEntry[] = [];
  for (const raw of text.split('\n')) {
    const fields = raw.trim().split(/\s+/);
    if (fields[0] === undefined || fields[0] === '' || fields[0].startsWith('#')) continue;
    let marker: KnownHostEntry['marker'] = null;
    if (fields[0] === '@revoked' || fields[0] === '@cert-authority') {
      marker = fields[0] === '@revoked' ? 'revoked' : 'cert-authority';
      fields.shift();
    }
    const [hosts, keyType, key] = fields;
    if (hosts === undefined || keyType === undefined || key === undefined) continue;
    const blob = Buffer.from(key, 'base64');
    if (blob.length === 0) continue;
    entries.push({ marker, hosts, keyType, key: blob });
  }
  return entries;
}

/** True when the entry's host field names `hostName` (a negated pattern that matches wins: false). */
export function hostMatches(hosts: string, hostName: string): boolean {
  if (hosts.startsWith('|1|')) return hashedMatches(hosts, hostName);
  let matched = false;
  for (const pattern of hosts.split(',')) {
    if (pattern.startsWith('!')) {
      if (globMatches(pattern.slice(1), hostName)) return false;
    } else if (globMatches(pattern, hostName)) {
      matched = true;
    }
  }
  return matched;
}

function hashedMatches(hashed: string, hostName: string): boolean {
  const [, , salt, hash] = hashed.split('|');
  if (salt === undefined || hash === undefined) return false;
  const digest = createHmac('sha1', Buffer.from(salt, 'base64')).update(hostName).digest('base64');
  return digest === hash;
}

/** OpenSSH patterns: `*` any run, `?` one character; host names compare case-insensitively. */
function globMatches(pattern: string, hostName: string): boolean {
  if (!/[*?]/.test(pattern)) return pattern.toLowerCase() === hostName.toLowerCase();
  const source = pattern
    .split('')
    .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[\\^$.+()[\]{}|]/g, '\\$&')))
    .join('');
  return new RegExp(`^${source}$`, 'i').test(hostName);
}

/** What the known_hosts entries say about `key` presented by `hostName`. */
export function checkHostKey(
  entries: readonly KnownHostEntry[],
  hostName: string,
  key: Buffer,
): HostKeyVerdict {
  const forHost = entries.filter((e) => e.marker !== 'cert-authority' && hostMatches(e.hosts, hostName));
  if (forHost.some((e) => e.marker === 'revoked' && e.key.equals(key))) return { verdict: 'revoked' };
  const pinned = forHost.filter((e) => e.marker === null);
  if (pinned.some((e) => e.key.equals(key))) return { verdict: 'trusted' };
  if (pinned.length === 0) return { verdict: 'unknown' };
  return { verdict: 'changed', knownTypes: [...new Set(pinned.map((e) => e.keyType))] };
}

/** `SHA256:<base64>` — the fingerprint `ssh-keygen -l` prints. */
export function fingerprint(key: Buffer): string {
  return `SHA256:${createHash('sha256').update(key).digest('base64').replace(/=+$/, '')}`;
}

/** Host-key algorithms ssh2 may negotiate, in its default order. */
const ALL_ALGORITHMS = [
  'ssh-ed25519',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'rsa-sha2-512',
  'rsa-sha2-256',
  'ssh-rsa',
] as const;

export type HostKeyAlgorithm = (typeof ALL_ALGORITHMS)[number];

/**
 * Algorithms to offer, those of the host's pinned key types first (as OpenSSH
 * does): otherwise a server with several host keys may present one we have
 * not pinned and be refused although we know another of its keys.
 */
export function preferredAlgorithms(
  entries: readonly KnownHostEntry[],
  hostName: string,
): HostKeyAlgorithm[] {
  const types = new Set(
    entries.filter((e) => e.marker === null && hostMatches(e.hosts, hostName)).map((e) => e.keyType),
  );
  const first = ALL_ALGORITHMS.filter((a) =>
    a.startsWith('rsa-sha2-') ? types.has('ssh-rsa') : types.has(a),
  );
  return [...first, ...ALL_ALGORITHMS.filter((a) => !first.includes(a))];
}
