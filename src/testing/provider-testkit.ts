/**
 * Helpers for provider tests: temp directories, a target, a recording StepIO,
 * free ports, and a ledger of pids to kill after each test.
 * (No vitest import here: this file only builds values.)
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MarshalError } from '../model/errors.js';
import type { StepIO, TargetContext } from '../model/provider.js';
import type { LogStream } from '../model/run.js';
import { isAlive, signalGroup, waitUntil } from '../providers/process.js';

/** A StepIO that keeps every line it is given. */
export interface RecordingIO extends StepIO {
  lines: { line: string; stream: LogStream }[];
  controller: AbortController;
  text(stream?: LogStream): string[];
}

export function recordingIO(controller = new AbortController()): RecordingIO {
  const lines: { line: string; stream: LogStream }[] = [];
  return {
    signal: controller.signal,
    controller,
    lines,
    log(line, stream = 'info') {
      lines.push({ line, stream });
    },
    text(stream) {
      return lines.filter((l) => stream === undefined || l.stream === stream).map((l) => l.line);
    },
  };
}

export function tempDir(prefix = 'marshal-providers-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

export async function removeDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}

export function targetContext(root: string, projectDir: string, service = 'api'): TargetContext {
  return {
    environment: 'staging',
    service,
    host: { name: 'web1', address: 'web1', root, vars: {}, ssh: null },
    projectDir,
  };
}

/** A port nobody listens on right now (bound to 0, then released). */
export async function freePort(): Promise<number> {
  // The kernel may give a port it gave a moment ago (it was closed at once): two services of one
  // test on one port would answer for each other. A port is handed out once per test file.
  for (;;) {
    const port = await unusedPort();
    if (!handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
}

const handedOut = new Set<number>();

function unusedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address !== null ? resolve(address.port) : reject(),
      );
    });
  });
}

/** Kills every process group handed to it (tests call `killAll` in afterEach). */
export class PidLedger {
  private readonly pids = new Set<number>();

  add(pid: number | null | undefined): void {
    if (pid !== null && pid !== undefined) this.pids.add(pid);
  }

  async killAll(): Promise<void> {
    for (const pid of this.pids) signalGroup(pid, 'SIGKILL');
    await waitUntil(() => [...this.pids].every((pid) => !isAlive(pid)), 3000);
    this.pids.clear();
  }
}

/**
 * The error a provider refused with: a MarshalError of code PROVIDER_ERROR. Throws (failing the
 * test) when the promise resolves or rejects with anything else.
 */
export async function providerRefusal(promise: Promise<unknown>): Promise<MarshalError> {
  const err = await promise.then(
    () => new Error('expected a refusal'),
    (e: unknown) => e,
  );
  if (!(err instanceof MarshalError)) throw new Error(`expected a MarshalError, got ${String(err)}`);
  if (err.code !== 'PROVIDER_ERROR')
    throw new Error(`expected PROVIDER_ERROR, got ${err.code}: ${err.message}`);
  return err;
}
