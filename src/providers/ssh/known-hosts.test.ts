import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  checkHostKey,
  fingerprint,
  hostMatches,
  knownHostName,
  parseKnownHosts,
  preferredAlgorithms,
} from './known-hosts.js';

const keyA = Buffer.from('\u0000\u0000\u0000\u000bssh-ed25519 key A');
const keyB = Buffer.from('\u0000\u0000\u0000\u000bssh-ed25519 key B');
const b64 = (key: Buffer) => key.toString('base64');

function hashed(hostName: string, salt = Buffer.from('0123456789abcdefghij')): string {
  return `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update(hostName).digest('base64')}`;
}

describe('knownHostName', () => {
  it('is the bare address on port 22, [address]:port elsewhere', () => {
    expect(knownHostName('web1.example.com', 22)).toBe('web1.example.com');
    expect(knownHostName('127.0.0.1', 2201)).toBe('[127.0.0.1]:2201');
  });
});

describe('parseKnownHosts', () => {
  it('reads entries and markers, skipping comments, blank and malformed lines', () => {
    const text = [
      '# comment',
      '',
      `web1,10.0.0.1 ssh-ed25519 ${b64(keyA)} root@web1`,
      `@revoked * ssh-ed25519 ${b64(keyB)}`,
      `@cert-authority *.example.com ssh-ed25519 ${b64(keyA)}`,
      'broken-line-without-key',
    ].join('\n');
    expect(parseKnownHosts(text)).toEqual([
      { marker: null, hosts: 'web1,10.0.0.1', keyType: 'ssh-ed25519', key: keyA },
      { marker: 'revoked', hosts: '*', keyType: 'ssh-ed25519', key: keyB },
      { marker: 'cert-authority', hosts: '*.example.com', keyType: 'ssh-ed25519', key: keyA },
    ]);
  });
});

describe('hostMatches', () => {
  it('matches plain names, case-insensitively, in a comma list', () => {
    expect(hostMatches('web1,10.0.0.1', '10.0.0.1')).toBe(true);
    expect(hostMatches('WEB1', 'web1')).toBe(true);
    expect(hostMatches('web1', 'web10')).toBe(false);
  });

  it('distinguishes [host]:port from the bare host', () => {
    expect(hostMatches('[127.0.0.1]:2201', '[127.0.0.1]:2201')).toBe(true);
    expect(hostMatches('[127.0.0.1]:2201', '[127.0.0.1]:2202')).toBe(false);
    expect(hostMatches('127.0.0.1', '[127.0.0.1]:2201')).toBe(false);
  });

  it('supports wildcards and negations', () => {
    expect(hostMatches('*.example.com', 'web1.example.com')).toBe(true);
    expect(hostMatches('web?.example.com', 'web7.example.com')).toBe(true);
    expect(hostMatches('*.example.com,!db.example.com', 'db.example.com')).toBe(false);
    expect(hostMatches('web.example.com', 'webXexample.com')).toBe(false);
  });

  it('matches hashed names', () => {
    expect(hostMatches(hashed('[127.0.0.1]:2201'), '[127.0.0.1]:2201')).toBe(true);
    expect(hostMatches(hashed('[127.0.0.1]:2201'), '[127.0.0.1]:2202')).toBe(false);
    expect(hostMatches('|1|garbage', 'x')).toBe(false);
  });
});

describe('checkHostKey', () => {
  const entries = parseKnownHosts(
    [
      `[127.0.0.1]:2201 ssh-ed25519 ${b64(keyA)}`,
      `${hashed('web1')} ssh-ed25519 ${b64(keyA)}`,
      `@revoked web2 ssh-ed25519 ${b64(keyB)}`,
      `web2 ssh-ed25519 ${b64(keyA)}`,
    ].join('\n'),
  );

  it('trusts a pinned key, plain or hashed', () => {
    expect(checkHostKey(entries, '[127.0.0.1]:2201', keyA)).toEqual({ verdict: 'trusted' });
    expect(checkHostKey(entries, 'web1', keyA)).toEqual({ verdict: 'trusted' });
  });

  it('refuses a changed key, an unknown host and a revoked key', () => {
    expect(checkHostKey(entries, '[127.0.0.1]:2201', keyB)).toEqual({
      verdict: 'changed',
      knownTypes: ['ssh-ed25519'],
    });
    expect(checkHostKey(entries, '[127.0.0.1]:2202', keyA)).toEqual({ verdict: 'unknown' });
    expect(checkHostKey(entries, 'web2', keyB)).toEqual({ verdict: 'revoked' });
  });
});

describe('fingerprint', () => {
  it('is SHA256 in unpadded base64, as ssh-keygen -l prints it', () => {
    const expected = createHash('sha256').update(keyA).digest('base64').replace(/=+$/, '');
    expect(fingerprint(keyA)).toBe(`SHA256:${expected}`);
    expect(fingerprint(keyA)).not.toContain('=');
  });
});

describe('preferredAlgorithms', () => {
  it('offers the pinned key types first', () => {
    const entries = parseKnownHosts(`web1 ssh-rsa ${b64(keyA)}\nweb2 ecdsa-sha2-nistp256 ${b64(keyB)}`);
    expect(preferredAlgorithms(entries, 'web1').slice(0, 4)).toEqual([
      'rsa-sha2-512',
      'rsa-sha2-256',
      'ssh-rsa',
      'ssh-ed25519',
    ]);
    expect(preferredAlgorithms(entries, 'web2')[0]).toBe('ecdsa-sha2-nistp256');
    expect(preferredAlgorithms(entries, 'other')).toHaveLength(7);
  });
});
