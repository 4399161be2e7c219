import { readdirSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MarshalError } from '../../model/errors.js';
import type { Action, TargetContext } from '../../model/provider.js';
import { recordingIO } from '../../testing/provider-testkit.js';
import { type SshdHosts, startSshdHosts } from '../../testing/sshd-hosts.js';
import { sshTargetContext } from '../../testing/sshd-targets.js';
import { SshProvider } from './provider.js';

let sshd: SshdHosts;
let provider: SshProvider;
let target: TargetContext;

beforeAll(async () => {
  sshd = await startSshdHosts(1);
  provider = new SshProvider();
  target = sshTargetContext(sshd, 'host1', { root: 'deploy' });
});
afterAll(async () => {
  await provider?.close();
  await sshd?.stop();
});

function exec(command: string, extra: Partial<Extract<Action, { kind: 'exec' }>> = {}): Action {
  return { kind: 'exec', command, version: 'v1', env: {}, inRelease: false, ...extra };
}

/** Live (non-zombie) processes of a uid whose command line contains `text`. */
function liveProcesses(uid: number, text: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const status = readFileSync(`/proc/${entry}/status`, 'utf8');
      if (Number(/^Uid:\s+(\d+)/m.exec(status)?.[1]) !== uid || /^State:\s+Z/m.test(status)) continue;
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').replace(/\0/g, ' ').includes(text))
        pids.push(Number(entry));
    } catch {
      // Gone meanwhile.
    }
  }
  return pids;
}

describe('ssh exec', () => {
  it('streams stdout and stderr lines, in the deploy root, with env and MARSHAL_* facts', async () => {
    const io = recordingIO();
    const host = sshd.host('host1');
    await provider.apply(
      exec(
        'echo "out $GREETING $MARSHAL_SERVICE $MARSHAL_HOST $MARSHAL_VERSION [$MARSHAL_RELEASE_DIR]"; pwd; whoami; echo oops >&2',
        {
          env: { GREETING: "it's here" },
        },
      ),
      target,
      io,
    );
    expect(io.text('stdout')).toEqual([`out it's here api host1 v1 []`, `${host.home}/deploy`, host.user]);
    expect(io.text('stderr')).toEqual(['oops']);
  });

  it('runs in releases/<version> when asked and it exists', async () => {
    const io = recordingIO();
    await provider.apply(exec('mkdir -p api/releases/v7'), target, recordingIO());
    await provider.apply(
      exec('pwd; echo "$MARSHAL_RELEASE_DIR"', { version: 'v7', inRelease: true }),
      target,
      io,
    );
    const release = `${sshd.host('host1').home}/deploy/api/releases/v7`;
    expect(io.text('stdout')).toEqual([release, release]);
  });

  it('fails with COMMAND_FAILED and the exit status', async () => {
    const error = await provider.apply(exec('echo bad >&2; exit 3'), target, recordingIO()).catch((e) => e);
    expect(error).toBeInstanceOf(MarshalError);
    expect(error).toMatchObject({ code: 'COMMAND_FAILED', details: { exitCode: 3 } });
    expect(error.message).toBe('command exited 3: echo bad >&2; exit 3 — bad');
  });

  it('kills the remote process group when the step times out', async () => {
    const controller = new AbortController();
    const io = recordingIO(controller);
    const started = Date.now();
    setTimeout(() => controller.abort(new MarshalError('TIMEOUT', 'step timed out after 400ms')), 400);
    const error = await provider
      .apply(exec('sleep 30 & sleep 31; echo never'), target, io)
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'TIMEOUT', message: 'step timed out after 400ms' });
    expect(Date.now() - started).toBeLessThan(5000);
    expect(liveProcesses(sshd.host('host1').uid, 'sleep 3')).toEqual([]);
  });

  it('runs many commands at once over one connection', async () => {
    const before = sshd.acceptedConnections('host1');
    const ios = Array.from({ length: 30 }, () => recordingIO());
    await Promise.all(ios.map((io, i) => provider.apply(exec(`sleep 0.2; echo ${i}`), target, io)));
    expect(ios.map((io) => io.text('stdout')[0])).toEqual(ios.map((_, i) => String(i)));
    expect(sshd.acceptedConnections('host1')).toBe(before);
    expect(provider.connectionsOpened(provider.hostKey(target.host))).toBe(1);
  });

  it('answers a round trip over the reused connection quickly', async () => {
    const rounds = 20;
    const started = performance.now();
    for (let i = 0; i < rounds; i++) await provider.apply(exec('true'), target, recordingIO());
    const perCommand = (performance.now() - started) / rounds;
    console.log(`ssh exec round trip over a reused connection: ${perCommand.toFixed(1)} ms`);
    expect(perCommand).toBeLessThan(200);
  });
});
