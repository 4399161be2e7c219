/**
 * The Provider contract for `inspect` (what `marshal status --probe` reports): the release
 * `current` links to, the recorded process and whether it still is the one started, unrecorded
 * instances, and who listens on the service's port — ours or not. Read-only. Called by
 * runProviderContract.
 */
import { describe, expect, it } from 'vitest';
import type { InspectSpec, TargetInspection } from '../model/provider.js';
import { type ContractRig, shortened, type WhenRigReady } from './provider-contract-fixtures.js';
import { freePort, recordingIO } from './provider-testkit.js';

export function describeInspect(whenReady: WhenRigReady): void {
  let rig: ContractRig;
  whenReady((r) => {
    rig = r;
  });
  const inspect = (spec: InspectSpec = { process: { port: rig.port } }): Promise<TargetInspection> => {
    if (rig.provider.inspect === undefined) throw new Error(`${rig.provider.name} cannot inspect`);
    return rig.provider.inspect(rig.target, spec, recordingIO());
  };

  describe('inspect', () => {
    it('of a target where nothing was deployed: nothing', async () => {
      expect(await inspect()).toEqual({ current: null, recorded: null, strays: [], listener: null });
    });

    it('tells the recorded process, an unrecorded one and the port’s listener apart', async () => {
      await rig.deploy('v1');
      await rig.apply(rig.health('v1'));
      const pid = await rig.recordedPid();
      const seen = await inspect();
      expect(seen).toMatchObject({
        current: 'v1',
        recorded: { pid, version: 'v1', alive: true },
        strays: [],
        listener: { version: 'v1', ours: true },
      });
      expect(seen.listener?.command).toContain('server.mjs');
      // Its pid file lost: the same process is an unrecorded instance, its listener no longer ours.
      await rig.sh('rm -r api/run');
      expect(await inspect()).toMatchObject({
        current: 'v1',
        recorded: null,
        strays: [{ pid, version: 'v1' }],
        listener: { version: 'v1', ours: false },
      });
      // Without a process to ask about, none is looked for.
      expect(await inspect({ process: null })).toEqual({
        current: 'v1',
        recorded: null,
        strays: [],
        listener: null,
      });
    });

    it('a recorded process that died is not alive, and nobody listens', async () => {
      await rig.deploy('v1');
      await rig.apply(rig.health('v1'));
      const pid = (await rig.recordedPid()) as number;
      await rig.crash(pid);
      expect(await inspect()).toMatchObject({
        current: 'v1',
        recorded: { pid, version: 'v1', alive: false },
        listener: null,
      });
    });

    it('a pid file whose pid now belongs to another process (pid reuse) is not alive', async () => {
      const other = await rig.foreign(await freePort());
      await rig.sh(
        `mkdir -p api/run && echo ${other} >api/run/service.pid && echo v1 >api/run/service.version`,
      );
      await rig.sh('echo 1 >api/run/service.start');
      expect((await inspect()).recorded).toEqual({ pid: other, version: 'v1', alive: false });
    });

    it('a foreign listener on the port is named, and is not ours', async () => {
      const holder = await rig.foreign(rig.port);
      const command = shortened(await rig.commandLine(holder));
      expect(await inspect()).toEqual({
        current: null,
        recorded: null,
        strays: [],
        listener: { pid: holder, command, version: null, ours: false },
      });
    });
  });
}
