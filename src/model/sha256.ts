/**
 * SHA-256 as lowercase hex. Node's one-shot `crypto.hash` (20.12+) where it exists: half the
 * cost of a Hash object for the short texts hashed per event; `createHash` on older Node 20.
 */
import * as crypto from 'node:crypto';

export const sha256Hex: (data: string | Buffer) => string =
  typeof crypto.hash === 'function'
    ? (data) => crypto.hash('sha256', data, 'hex')
    : (data) => crypto.createHash('sha256').update(data).digest('hex');
