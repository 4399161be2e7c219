/**
 * The one place remote scripts run: an exec channel on a pooled connection,
 * output split into lines, an optional stdin payload, and cancellation. A
 * grouped script (see commands.ts) prints its process group first; an abort
 * kills that group on the host over the same connection before the channel
 * is closed, so nothing keeps running remotely after a timeout.
 */
import type { ClientChannel } from 'ssh2';
import { MarshalError } from '../../model/errors.js';
import { abortError, throwIfAborted } from '../abort.js';
import { LineSplitter } from '../lines.js';
import { KILL_GRACE_MS } from '../process.js';
import { killGroupScript, PGID_MARK } from './commands.js';
import type { SshConnection } from './connection.js';

export interface RemoteCommand {
  script: string;
  /** What the step is doing, for error messages: `the upload of v2`. */
  what: string;
  signal: AbortSignal;
  /** Written to the script's stdin, then EOF. */
  input?: Buffer;
  /** The script runs its command under `setsid` and prints the group id first. */
  grouped?: boolean;
  /** Every output line (the group marker excepted), as it arrives. */
  onLine?(line: string, stream: 'stdout' | 'stderr'): void;
}

export interface RemoteResult {
  exitCode: number | null;
  /** Set when the remote shell was killed by a signal (`SIGKILL`). */
  signal: string | null;
  stdout: string[];
  lastStderr: string | null;
}

/** How long output may still arrive after the exit status (a background child may hold the pipes). */
const DRAIN_MS = 250;
/** How long an abort waits for a grouped command to say which group it leads. */
const PGID_WAIT_MS = 2000;
/** The most an abort spends stopping the remote command before it reports the abort anyway. */
const KILL_DEADLINE_MS = PGID_WAIT_MS + KILL_GRACE_MS + 3000;

type Ending =
  | { kind: 'exit'; code: number | null; signal: string | null }
  | { kind: 'lost' }
  | { kind: 'abort' };

/** Runs `cmd.script` on `conn`; resolves with how it ended (a non-zero exit is a result, not an error). */
export async function runRemote(conn: SshConnection, cmd: RemoteCommand): Promise<RemoteResult> {
  throwIfAborted(cmd.signal);
  const session = new Session(cmd);
  const { channel, release } = await conn.exec(cmd.script, cmd.signal, (c) => session.attach(c));
  try {
    return await session.finish(conn, channel);
  } finally {
    release();
  }
}

/** The listeners of one channel, wired before any of its events can fire. */
class Session {
  private readonly stdout: string[] = [];
  private lastStderr: string | null = null;
  private pgid: number | null = null;
  private announce: (pgid: number | null) => void = () => undefined;
  /** The process group the command leads, once it said so (null: it never will). */
  private readonly announced = new Promise<number | null>((resolve) => {
    this.announce = resolve;
  });
  private readonly out: LineSplitter;
  private readonly err: LineSplitter;
  private closed: Promise<void> = Promise.resolve();
  private exited: Promise<Ending> = Promise.resolve({ kind: 'lost' });

  constructor(private readonly cmd: RemoteCommand) {
    this.out = new LineSplitter((line) => {
      if (cmd.grouped && this.pgid === null && line.startsWith(PGID_MARK)) {
        this.pgid = Number(line.slice(PGID_MARK.length)) || null;
        this.announce(this.pgid);
        return;
      }
      this.stdout.push(line);
      cmd.onLine?.(line, 'stdout');
    });
    this.err = new LineSplitter((line) => {
      if (line.trim() !== '') this.lastStderr = line;
      cmd.onLine?.(line, 'stderr');
    });
  }

  attach(channel: ClientChannel): void {
    channel.on('data', (chunk: Buffer) => this.out.write(chunk));
    channel.stderr.on('data', (chunk: Buffer) => this.err.write(chunk));
    this.closed = new Promise((resolve) => channel.once('close', () => resolve()));
    this.exited = new Promise((resolve) => {
      channel.once('exit', (code: number | null, signal?: string) =>
        resolve({ kind: 'exit', code: code ?? null, signal: signal ?? null }),
      );
      // Closed without an exit status: the connection (or the session) died under us.
      channel.once('close', () => resolve({ kind: 'lost' }));
    });
  }

  async finish(conn: SshConnection, channel: ClientChannel): Promise<RemoteResult> {
    const { cmd } = this;
    const lost = conn.closed.then((): Ending => ({ kind: 'lost' }));
    let onAbort: () => void = () => undefined;
    const aborted = new Promise<Ending>((resolve) => {
      onAbort = () => resolve({ kind: 'abort' });
      cmd.signal.addEventListener('abort', onAbort, { once: true });
    });
    if (cmd.signal.aborted) onAbort();
    if (cmd.input !== undefined) channel.end(cmd.input);
    else channel.end();
    try {
      const ending = await Promise.race([this.exited, lost, aborted]);
      if (ending.kind === 'abort') {
        // Bounded: on a connection that died silently the kill's channel would never open.
        if (cmd.grouped)
          await Promise.race([killGroup(conn, channel, this.announced), delay(KILL_DEADLINE_MS)]);
        channel.close();
        throw abortError(cmd.signal);
      }
      this.announce(null);
      await Promise.race([this.closed, delay(DRAIN_MS)]);
      this.out.end();
      this.err.end();
      if (ending.kind === 'lost') {
        if (!conn.isOpen) throw conn.lostError(cmd.what);
        throw new MarshalError(
          'PROVIDER_ERROR',
          `${conn.label}: the session of ${cmd.what} ended without an exit status`,
          { details: { host: conn.key } },
        );
      }
      return {
        exitCode: ending.code,
        signal: ending.signal,
        stdout: this.stdout,
        lastStderr: this.lastStderr,
      };
    } finally {
      cmd.signal.removeEventListener('abort', onAbort);
    }
  }
}

/**
 * Kills an aborted command's process group on the host (TERM, then KILL after
 * the grace period), over a reserved channel of the same connection. Failures
 * are swallowed: the abort itself is what the step reports.
 */
async function killGroup(
  conn: SshConnection,
  channel: ClientChannel,
  announced: Promise<number | null>,
): Promise<void> {
  const pgid = await Promise.race([announced, delay(PGID_WAIT_MS).then(() => null)]);
  if (pgid === null || !conn.isOpen) {
    // Without a group id the best we can do is ask sshd to signal the session's shell.
    channel.signal('TERM');
    return;
  }
  try {
    let done: Promise<void> = Promise.resolve();
    const { channel: killer, release } = await conn.exec(
      killGroupScript(pgid, KILL_GRACE_MS),
      null,
      (c) => {
        c.resume();
        c.stderr.resume();
        done = new Promise((resolve) => c.once('close', () => resolve()));
      },
      true,
    );
    try {
      killer.end();
      await Promise.race([done, conn.closed]);
    } finally {
      release();
    }
  } catch {
    // The connection died too: nothing more can be done from here.
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
