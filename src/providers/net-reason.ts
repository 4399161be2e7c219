/** Short reasons for a failed connection, shared by health probes, analyses and SSH connections. */
import { formatDuration } from '../model/duration.js';

const NET_REASONS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  EPIPE: 'connection closed',
  UND_ERR_SOCKET: 'connection closed',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host not found (DNS lookup failed)',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ETIMEDOUT: 'connection timed out',
  UND_ERR_CONNECT_TIMEOUT: 'connection timed out',
};

/** The short reason for a socket error's code (ECONNREFUSED: `connection refused`), if it has one. */
export function codeReason(code: string | undefined): string | undefined {
  return code === undefined ? undefined : NET_REASONS[code];
}

/**
 * `connection refused` rather than fetch's bare `fetch failed`; with `timeoutMs`, a timeout is
 * named with its limit (`timed out after 2.0s`).
 */
export function networkReason(err: unknown, timeoutMs?: number): string {
  const timedOut = `timed out after ${formatDuration(timeoutMs ?? 0)}`;
  if (timeoutMs !== undefined && err instanceof Error && err.name === 'TimeoutError') return timedOut;
  // fetch wraps the socket error: TypeError('fetch failed', { cause }).
  const cause = err instanceof Error && err.cause instanceof Error ? err.cause : err;
  const code = (cause as NodeJS.ErrnoException | null)?.code;
  const reason = codeReason(code);
  if (reason !== undefined) return reason;
  if (timeoutMs !== undefined && cause instanceof Error && cause.name === 'TimeoutError') return timedOut;
  return cause instanceof Error ? cause.message : String(cause);
}
