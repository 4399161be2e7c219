/**
 * One open SSH connection: many exec channels over it, at most
 * `maxChannels` at a time (sshd refuses sessions beyond its MaxSessions,
 * 10 by default), and a record of why it closed.
 */
import type { Client, ClientChannel } from 'ssh2';
import { MarshalError } from '../../model/errors.js';
import { abortError } from '../abort.js';

export class SshConnection {
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  private closedWith: Error | null | undefined;
  /** Resolves when the connection is gone (with the error that ended it, if any). */
  readonly closed: Promise<Error | null>;

  constructor(
    readonly client: Client,
    /** `user@address:port`, the key connections are pooled and counted by. */
    readonly key: string,
    /** How messages name the host: `web1 (deploy@10.0.0.5:22)`. */
    readonly label: string,
    private readonly maxChannels: number,
  ) {
    let lastError: Error | null = null;
    client.on('error', (err: Error) => {
      lastError = err;
    });
    this.closed = new Promise((resolve) =>
      client.once('close', () => {
        this.closedWith = lastError;
        resolve(lastError);
      }),
    );
  }

  /** False once the connection has closed; the pool then opens a new one. */
  get isOpen(): boolean {
    return this.closedWith === undefined;
  }

  /** The error for a command whose connection went away under it (retryable: the host may be back). */
  lostError(what: string): MarshalError {
    const why = this.closedWith?.message;
    return new MarshalError(
      'PROVIDER_ERROR',
      `lost the connection to ${this.label} during ${what}${why ? `: ${why}` : ''}`,
      { details: { host: this.key } },
    );
  }

  /**
   * Opens an exec channel for `script` once a slot is free. `reserved`
   * channels (killing an aborted command) skip the queue: they must not wait
   * behind the very commands they stop. `attach` wires the channel's listeners
   * before any of its events can fire. Call the returned `release` when done.
   */
  async exec(
    script: string,
    signal: AbortSignal | null,
    attach: (channel: ClientChannel) => void,
    reserved = false,
  ): Promise<{ channel: ClientChannel; release: () => void }> {
    if (!reserved) await this.acquire(signal);
    const release = once(() => {
      if (!reserved) this.releaseSlot();
    });
    try {
      const channel = await new Promise<ClientChannel>((resolve, reject) => {
        if (!this.isOpen) return reject(this.lostError('a command'));
        this.client.exec(script, (err, channel) => {
          if (err) return reject(err);
          // Synchronously: the rest of the packet batch (output, exit status) is parsed right after this callback.
          attach(channel);
          resolve(channel);
        });
      });
      return { channel, release };
    } catch (err) {
      release();
      if (err instanceof MarshalError) throw err;
      if (!this.isOpen) throw this.lostError('a command');
      throw new MarshalError(
        'PROVIDER_ERROR',
        `cannot open a session on ${this.label}: ${(err as Error).message}`,
        { cause: err, details: { host: this.key } },
      );
    }
  }

  private acquire(signal: AbortSignal | null): Promise<void> {
    if (this.active < this.maxChannels) {
      this.active += 1;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const grant = () => {
        signal?.removeEventListener('abort', onAbort);
        this.active += 1;
        resolve();
      };
      const onAbort = () => {
        const index = this.waiting.indexOf(grant);
        if (index !== -1) this.waiting.splice(index, 1);
        reject(abortError(signal as AbortSignal));
      };
      if (signal?.aborted) return onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiting.push(grant);
    });
  }

  private releaseSlot(): void {
    this.active -= 1;
    this.waiting.shift()?.();
  }

  /**
   * Ends the connection: says goodbye, and destroys the socket when the host has not closed its
   * side within CLOSE_GRACE_MS. A host that stopped answering (a hung VM: its TCP stack still
   * acknowledges, nothing else does) never finishes the close, and the socket would sit in
   * FIN-WAIT-2 — keeping the CLI alive after its run ended — until the host wakes up.
   */
  async end(): Promise<void> {
    if (!this.isOpen) return;
    this.client.end();
    const timer = setTimeout(() => this.destroySocket(), CLOSE_GRACE_MS);
    await this.closed;
    clearTimeout(timer);
  }

  /**
   * ssh2's `destroy()` does nothing once `end()` has run (it only destroys a writable socket, and
   * an ended one is not), so the socket — TCP, or the channel of a tunnel through a jump host —
   * is destroyed directly. Its 'close' closes the client (ssh2 1.x keeps it as `_sock`).
   */
  private destroySocket(): void {
    const sock = (this.client as unknown as { _sock?: { destroy?: () => void } })._sock;
    if (typeof sock?.destroy === 'function') sock.destroy();
    else this.client.destroy();
  }
}

/** How long a closing connection waits for the host's side of the close (a live host: a few ms). */
export const CLOSE_GRACE_MS = 1000;

function once(fn: () => void): () => void {
  let done = false;
  return () => {
    if (done) return;
    done = true;
    fn();
  };
}
