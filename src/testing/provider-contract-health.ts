/**
 * The Provider contract for health steps: http checks from this machine and command checks on
 * the host (in the current release) pass or fail the step; checks count only while the watched
 * process lives, so one that exits fails the step with PROCESS_EXITED and how it ended, also
 * in the settle window after the checks passed. Called by runProviderContract.
 */
import { describe, expect, it } from 'vitest';
import type { Action } from '../model/provider.js';
import { HealthCheck } from '../model/schema.js';
import { type ContractRig, shortened, type WhenRigReady } from './provider-contract-fixtures.js';
import { freePort } from './provider-testkit.js';

export function describeHealth(whenReady: WhenRigReady): void {
  let rig: ContractRig;
  whenReady((r) => {
    rig = r;
  });
  const commandCheck = (command: string, failureThreshold = 3): Action => ({
    kind: 'health',
    checks: [HealthCheck.parse({ command, interval: 50, failureThreshold })],
    env: { EXPECTED: 'v1' },
  });

  describe('health', () => {
    it('passes when its checks do: http from here, a command on the host in the current release', async () => {
      await rig.deploy('v1');
      const inRelease =
        'test -f server.mjs && test "$MARSHAL_VERSION" = "$EXPECTED" && test "$MARSHAL_RELEASE_DIR" = "$(pwd -P)"';
      const http = rig.health('v1');
      const command = HealthCheck.parse({ command: inRelease, interval: 50 });
      const io = await rig.apply({ ...http, checks: [...http.checks, command], env: { EXPECTED: 'v1' } });
      const healthy = io.text('info').filter((line) => / healthy after \d+ probes? /.test(line));
      expect(healthy).toHaveLength(2);
    });

    it('fails with HEALTH_CHECK_FAILED naming a command check and its last output', async () => {
      await rig.deploy('v1');
      const { error } = await rig.failure(commandCheck('echo "not ready yet" >&2; exit 1', 2));
      expect(error).toMatchObject({
        code: 'HEALTH_CHECK_FAILED',
        message:
          'command `echo "not ready yet" >&2; exit 1`: exited 1: not ready yet — 2 consecutive failures',
      });
    });

    it('fails with PROCESS_EXITED, the exit code and the last output when the process exits first', async () => {
      await rig.deploy('v1', { command: 'echo "cannot read config" >&2; exit 3' });
      const { error, log } = await rig.failure(rig.health('v1'));
      expect(error).toMatchObject({ code: 'PROCESS_EXITED', message: 'process exited with code 3' });
      expect(error.details?.lastLines).toEqual(['cannot read config']);
      expect(log).toContain('cannot read config');
    });

    it('passes and settles while the process lives', async () => {
      await rig.deploy('v1');
      const io = await rig.apply(rig.health('v1', 200));
      expect(io.text('info').at(-1)).toBe('process still running 200ms after the checks passed');
    });

    it('fails when the process dies within the settle window after its checks passed', async () => {
      await rig.deploy('v1', { command: `${rig.spec('v1').command} & sleep 0.6; kill $!; exit 4` });
      const { error } = await rig.failure(rig.health('v1', 1500));
      expect(error).toMatchObject({ code: 'PROCESS_EXITED', message: 'process exited with code 4' });
    });

    it('a start without a health step fails when the process does not live through its settle window', async () => {
      await rig.upload(['v1']);
      await rig.apply({ kind: 'switch', version: 'v1', keep: 5 });
      const process = rig.spec('v1', { command: 'sleep 0.1; exit 2', settleMs: 500 });
      const { error } = await rig.failure({ kind: 'start', process });
      expect(error).toMatchObject({ code: 'PROCESS_EXITED', message: 'process exited with code 2' });
    });

    it('does not pass against another listener: the process died of EADDRINUSE, and the error names the holder', async () => {
      // The service listens on a port of its own choosing, which another program holds.
      const taken = await freePort();
      const holder = await rig.foreign(taken);
      const command = shortened(await rig.commandLine(holder));
      await rig.deploy('v1', { port: null, command: `PORT=${taken} ${rig.spec('v1').command}` });
      const { error } = await rig.failure(rig.health('v1', 0, taken));
      expect(error).toMatchObject({
        code: 'PROCESS_EXITED',
        message: `process exited with code 1 (EADDRINUSE 127.0.0.1:${taken} held by pid ${holder} "${command}")`,
      });
    });
  });
}
