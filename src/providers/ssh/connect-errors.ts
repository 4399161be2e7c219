/** The errors of opening a connection: refused host keys, failed logins, unreachable hosts. */
import { MarshalError } from '../../model/errors.js';
import { codeReason } from '../net-reason.js';
import { fingerprint, type HostKeyVerdict } from './known-hosts.js';

/** A refused host key: never retryable (a retry meets the same key), with how to fix known_hosts. */
export function hostKeyError(
  verdict: Exclude<HostKeyVerdict, { verdict: 'trusted' }>,
  hostName: string,
  key: Buffer,
  knownHostsFile: string,
): MarshalError {
  const got = fingerprint(key);
  const [what, hint] =
    verdict.verdict === 'changed'
      ? ['changed', `if the change is expected, replace the entry for ${hostName} in ${knownHostsFile}`]
      : verdict.verdict === 'revoked'
        ? ['revoked', `the key is marked @revoked in ${knownHostsFile}`]
        : [
            'not known',
            `check the fingerprint, then add it: ssh-keyscan ${keyscanArgs(hostName)} >> ${knownHostsFile}`,
          ];
  return new MarshalError(
    'PROVIDER_ERROR',
    `host key of ${hostName} ${what} (got ${got}): refusing to connect`,
    { retryable: false, hint, details: { host: hostName, fingerprint: got, verdict: verdict.verdict } },
  );
}

function keyscanArgs(hostName: string): string {
  const bracketed = /^\[(.*)\]:(\d+)$/.exec(hostName);
  return bracketed === null ? hostName : `-p ${bracketed[2]} ${bracketed[1]}`;
}

/** A failed connection or login; only a failed login is not retryable. */
export function connectError(err: Error, label: string, key: string, timeoutMs: number): MarshalError {
  const level = (err as { level?: string }).level;
  if (level === 'client-authentication') {
    return new MarshalError(
      'PROVIDER_ERROR',
      `cannot log in to ${label}: the server accepted none of our keys`,
      {
        retryable: false,
        cause: err,
        hint: "check ssh.user and ssh.identityFile (or the agent's keys) against the host's authorized_keys",
        details: { host: key },
      },
    );
  }
  const code = (err as NodeJS.ErrnoException).code;
  const reason =
    codeReason(code) ??
    (/Timed out while waiting for handshake/.test(err.message)
      ? `no SSH handshake within ${Math.round(timeoutMs / 100) / 10}s`
      : err.message);
  return new MarshalError('PROVIDER_ERROR', `cannot connect to ${label}: ${reason}`, {
    cause: err,
    details: { host: key },
  });
}
