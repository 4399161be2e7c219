import { mkdir, realpath } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MarshalError } from '../../model/errors.js';
import type { Action, TargetContext } from '../../model/provider.js';
import { PidLedger, recordingIO, removeDir, targetContext, tempDir } from '../../testing/provider-testkit.js';
import { isAlive, waitUntil } from '../process.js';
import { layout } from './layout.js';
import { LocalProvider } from './provider.js';

let work: string;
let target: TargetContext;
const provider = new LocalProvider();
const ledger = new PidLedger();

beforeAll(async () => {
  // realpath: on some systems tmpdir() is itself behind a symlink, and `pwd -P` prints the real path.
  work = await realpath(await tempDir());
  target = targetContext(join(work, 'root'), work);
  const release = join(layout(target.host.root, 'api').releasesDir, 'v1');
  await mkdir(release, { recursive: true });
});
afterEach(() => ledger.killAll());
afterAll(() => removeDir(work));

const exec = (command: string, version = 'v1', env: Record<string, string> = {}): Action => ({
  kind: 'exec',
  command,
  version,
  env,
  inRelease: true,
});

describe('exec', () => {
  it('is never done: commands cannot be observed', async () => {
    expect(await provider.isDone(exec('true'), target, recordingIO())).toBe(false);
  });

  it('streams stdout and stderr line by line', async () => {
    const io = recordingIO();
    // Two pipes: order across streams is not defined, order within each is.
    await provider.apply(exec('echo one; echo two >&2; printf "three\\nfour"'), target, io);
    expect(io.text('stdout')).toEqual(['one', 'three', 'four']);
    expect(io.text('stderr')).toEqual(['two']);
  });

  it('runs in the release directory, or the project directory when there is none', async () => {
    const io = recordingIO();
    await provider.apply(exec('pwd -P'), target, io);
    await provider.apply(exec('pwd -P', 'v2'), target, io);
    expect(io.text('stdout')).toEqual([join(target.host.root, 'api', 'releases', 'v1'), work]);
  });

  it('exports the step env and the MARSHAL_* facts', async () => {
    const io = recordingIO();
    const command =
      'echo "$GREETING|$MARSHAL_SERVICE|$MARSHAL_ENVIRONMENT|$MARSHAL_HOST|$MARSHAL_VERSION|$MARSHAL_RELEASE_DIR"';
    await provider.apply(
      exec(command, 'v1', { GREETING: 'hi there', MARSHAL_VERSION: 'ignored' }),
      target,
      io,
    );
    expect(io.text('stdout')).toEqual([
      `hi there|api|staging|web1|v1|${join(target.host.root, 'api', 'releases', 'v1')}`,
    ]);
  });

  it('runs simple commands without a shell', async () => {
    const io = recordingIO();
    await provider.apply(exec(`ls -a ${join(target.host.root, 'api', 'releases')}`), target, io);
    expect(io.text('stdout')).toEqual(['.', '..', 'v1']);
  });

  it('fails with COMMAND_FAILED carrying the exit status and the last stderr line', async () => {
    const error = await provider
      .apply(exec('echo working; echo "no such table" >&2; exit 3'), target, recordingIO())
      .then(
        () => null,
        (err: unknown) => err,
      );
    expect(error).toBeInstanceOf(MarshalError);
    expect(error).toMatchObject({
      code: 'COMMAND_FAILED',
      retryable: true,
      message: 'command exited 3: echo working; echo "no such table" >&2; exit 3 — no such table',
      details: { exitCode: 3, signal: null },
    });
  });

  it('fails with exit status 127 for a command that does not exist (fast path)', async () => {
    await expect(
      provider.apply(exec('marshal-no-such-tool --up'), target, recordingIO()),
    ).rejects.toMatchObject({
      code: 'COMMAND_FAILED',
      details: { exitCode: 127 },
    });
  });

  it('kills the command when the step is aborted and throws the reason', async () => {
    const io = recordingIO();
    const running = provider.apply(exec('echo $$; exec sleep 30'), target, io);
    await waitUntil(() => io.text('stdout').length > 0, 5000);
    const pid = Number(io.text('stdout')[0]);
    ledger.add(pid);
    expect(isAlive(pid)).toBe(true);
    const reason = new MarshalError('TIMEOUT', 'step api/web1/run:migrate timed out after 10s');
    io.controller.abort(reason);
    await expect(running).rejects.toBe(reason);
    expect(isAlive(pid)).toBe(false);
  });
});
