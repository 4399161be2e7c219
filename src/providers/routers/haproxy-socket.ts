/**
 * One command over haproxy's admin socket (the runtime API), with node:net:
 * connect, write the command, read until haproxy closes the connection (it
 * does after each command in non-interactive mode).
 */
import { connect } from 'node:net';
import { abortError, providerError, throwIfAborted } from './common.js';

/** Sends `command` to the Unix socket `path` and resolves with haproxy's whole answer. */
export function sendCommand(
  path: string,
  command: string,
  signal: AbortSignal,
  timeoutMs = 5000,
): Promise<string> {
  throwIfAborted(signal);
  return new Promise((resolve, reject) => {
    const socket = connect({ path });
    const chunks: Buffer[] = [];
    let settled = false;
    const finish = (err: Error | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      socket.destroy();
      if (err === null) resolve(Buffer.concat(chunks).toString('utf8'));
      else reject(err);
    };
    const onAbort = () => finish(abortError(signal));
    const timer = setTimeout(
      () => finish(providerError(`haproxy: no answer to \`${command}\` on ${path} within ${timeoutMs} ms`)),
      timeoutMs,
    );
    signal.addEventListener('abort', onAbort, { once: true });
    // No half-close: haproxy answers and closes the connection itself.
    socket.on('connect', () => socket.write(`${command}\n`));
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('end', () => finish(null));
    socket.on('error', (err) =>
      finish(providerError(`haproxy: cannot use the admin socket ${path}: ${err.message}`, { cause: err })),
    );
  });
}
