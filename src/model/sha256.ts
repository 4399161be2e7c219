/**
 * SHA-256 as lowercase hex, through Node's one-shot `crypto.hash` (Node 20.12+, see `engines`):
 * half the cost of a Hash object for the short texts hashed per event. Computation, not I/O.
 */
import { hash } from 'node:crypto';

export function sha256Hex(data: string | Buffer): string {
  return hash('sha256', data, 'hex');
}
