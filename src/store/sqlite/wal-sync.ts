/**
 * Group commit for SQLite in WAL mode. The connection runs with
 * `synchronous = NORMAL`: a commit appends its frames to the -wal file and
 * returns without an fsync. Every write then waits for an fdatasync of the
 * -wal file that started after its commit: once it resolves, the commit
 * survives a power loss, exactly as with `synchronous = FULL` (recovery
 * replays checksummed WAL frames up to the last synced commit frame).
 *
 * The fsync runs on libuv's thread pool, not on the event loop, and one fsync
 * covers every commit made before it started: while it is in flight the
 * engine keeps working, and the commits made meanwhile share the next one.
 */
import { closeSync, fdatasync, openSync } from 'node:fs';

export class WalSync {
  private fd: number | undefined;
  /** The fdatasync in flight. */
  private running: Promise<void> | undefined;
  /** The fdatasync that will start when the running one ends; it covers every commit made meanwhile. */
  private next: Promise<void> | undefined;

  constructor(private readonly walPath: string) {}

  /** Resolves once every commit made before this call is on disk. */
  sync(): Promise<void> {
    if (this.running === undefined) {
      this.running = this.start();
      return this.running;
    }
    // The running fsync may have started before our commit: wait for the next one.
    this.next ??= this.running
      .catch(() => undefined)
      .then(() => {
        this.next = undefined;
        this.running = this.start();
        return this.running;
      });
    return this.next;
  }

  private start(): Promise<void> {
    const synced: Promise<void> = new Promise<void>((resolve, reject) => {
      try {
        // The -wal file exists once a connection in WAL mode has written; the store only syncs after writing.
        this.fd ??= openSync(this.walPath, 'r');
      } catch (error) {
        reject(error);
        return;
      }
      fdatasync(this.fd, (error) => (error ? reject(error) : resolve()));
    }).finally(() => {
      if (this.running === synced) this.running = undefined;
    });
    return synced;
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}
