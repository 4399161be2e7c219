import { describe, expect, it } from 'vitest';
import { codeReason, networkReason } from './net-reason.js';
import { connectError } from './ssh/connect-errors.js';

const socketError = (code: string) => Object.assign(new Error(`connect ${code} 10.0.0.1:22`), { code });

describe('network reasons', () => {
  it('name the codes of failed connections, and nothing else', () => {
    expect(codeReason('ECONNREFUSED')).toBe('connection refused');
    expect(codeReason('EAI_AGAIN')).toBe('host not found (DNS lookup failed)');
    expect(codeReason('EACCES')).toBeUndefined();
    expect(codeReason(undefined)).toBeUndefined();
  });

  it('are the same for HTTP probes and SSH connections (one table)', () => {
    for (const code of ['ECONNREFUSED', 'EHOSTUNREACH', 'EPIPE', 'ENOTFOUND']) {
      const http = networkReason(new TypeError('fetch failed', { cause: socketError(code) }));
      expect(connectError(socketError(code), 'web-1', 'web-1', 5000).message).toBe(
        `cannot connect to web-1: ${http}`,
      );
    }
  });
});
