/**
 * The Provider contract for the service's process: a start runs it detached and records it,
 * a restart replaces it, an instance started but never recorded (it carries the
 * MARSHAL_INSTANCE marker) is stopped by the next start, and nothing starts beside a listener
 * on the service's port that is not Marshal's. Called by runProviderContract.
 */
import { describe, expect, it } from 'vitest';
import type { Action } from '../model/provider.js';
import { type ContractRig, shortened, type WhenRigReady } from './provider-contract-fixtures.js';

export function describeProcesses(whenReady: WhenRigReady): void {
  let rig: ContractRig;
  whenReady((r) => {
    rig = r;
  });
  const realDir = async (path: string) => (await rig.sh(`cd ${path} && pwd -P`))[0] ?? '';

  describe('start', () => {
    it('starts the process detached, records it, and is done afterwards', async () => {
      await rig.upload(['v1']);
      const start: Action = { kind: 'start', process: rig.spec('v1') };
      expect(await rig.isDone(start)).toBe(false);
      const io = await rig.deploy('v1');
      await rig.apply(rig.health('v1'));
      expect(await rig.answer()).toBe('v1');

      const pid = await rig.recordedPid();
      const logFile = `${await realDir('api/logs')}/service.log`;
      expect(io.text('info')).toContain(`started v1 as pid ${pid}; output → ${logFile}`);
      expect(await rig.isDone(start)).toBe(true);
      expect(await rig.isDone({ kind: 'start', process: rig.spec('v2') })).toBe(false);
      // It leads its own session and process group: the CLI (or SSH session) ending does not take it down.
      const stat = `s=$(cat /proc/${pid}/stat); s=\${s##*') '}; set -- $s; echo "$3 $4"`;
      expect(await rig.sh(stat)).toEqual([`${pid} ${pid}`]);
      const log = await rig.sh('cat api/logs/service.log');
      expect(log.some((line) => / marshal: starting v1: /.test(line))).toBe(true);
      expect(log.some((line) => line.startsWith(`listening on ${rig.port} as v1`))).toBe(true);
    });

    it('a restart with a new version replaces the process', async () => {
      await rig.deploy('v1');
      await rig.apply(rig.health('v1'));
      const old = (await rig.recordedPid()) as number;
      const io = await rig.deploy('v2');
      await rig.apply(rig.health('v2'));
      expect(io.text('info')[0]).toBe(`stopping pid ${old} (v1)`);
      const now = await rig.recordedPid();
      expect(now).not.toBe(old);
      expect(await rig.alive(old)).toBe(false);
      expect(await rig.answer()).toBe('v2');
      expect(await rig.sh('cat api/logs/service.log')).toContain('SIGTERM: shutting down');
    });

    it('a forced restart is not done while the version runs, and replaces the process', async () => {
      await rig.deploy('v1');
      const before = await rig.recordedPid();
      const restart: Action = { kind: 'start', process: rig.spec('v1'), restart: true };
      expect(await rig.isDone({ kind: 'start', process: rig.spec('v1') })).toBe(true);
      expect(await rig.isDone(restart)).toBe(false);
      await rig.apply(restart);
      const after = (await rig.recordedPid()) as number;
      expect(after).not.toBe(before);
      expect(await rig.alive(after)).toBe(true);
    });

    it('a process that ignores SIGTERM is killed after the stop timeout', async () => {
      await rig.deploy('v1', { command: "trap '' TERM; touch trapped; sleep 60" });
      const old = (await rig.recordedPid()) as number;
      // Stopped before its shell ran `trap`, it would simply end on SIGTERM.
      await rig.sh(
        'n=0; until [ -e api/current/trapped ]; do n=$((n+1)); [ $n -lt 500 ] || exit 1; sleep 0.02; done',
      );
      const io = await rig.deploy('v2', { stopTimeoutMs: 200 });
      expect(io.text('info')).toContain(`pid ${old} did not stop within 200ms: killed`);
      expect(await rig.alive(old)).toBe(false);
    });

    it('gives the process PORT, its env and the MARSHAL_* facts, in the real release directory', async () => {
      const facts = '$PORT $EXTRA $MARSHAL_SERVICE $MARSHAL_ENVIRONMENT $MARSHAL_HOST $MARSHAL_VERSION';
      await rig.deploy('v1', {
        command: `echo "${facts} $MARSHAL_RELEASE_DIR $(pwd -P)" >env.txt; exec sleep 60`,
      });
      await rig.sh(
        'n=0; until [ -s api/current/env.txt ]; do n=$((n+1)); [ $n -lt 500 ] || exit 1; sleep 0.02; done',
      );
      const real = await realDir('api/releases/v1');
      const { environment, host } = rig.target;
      expect(await rig.sh('cat api/current/env.txt')).toEqual([
        `${rig.port} x api ${environment} ${host.name} v1 ${real} ${real}`,
      ]);
    });

    it('fails for good without a current release', async () => {
      await rig.upload(['v1']);
      const { error } = await rig.failure({ kind: 'start', process: rig.spec('v1') });
      expect(error).toMatchObject({ code: 'PROVIDER_ERROR', retryable: false });
      expect(error.message).toContain('/api/current does not resolve');
    });
  });

  describe('processes Marshal started but never recorded', () => {
    it('an instance carrying the marker is stopped by the next start: one instance runs, the recorded one', async () => {
      await rig.deploy('v1');
      await rig.apply(rig.health('v1'));
      const lost = (await rig.recordedPid()) as number;
      // As if Marshal had been killed after the spawn, before it wrote the pid file.
      await rig.sh('rm -r api/run');
      const io = await rig.deploy('v2');
      await rig.apply(rig.health('v2'));
      expect(io.text('info')).toContain(
        `stopping pid ${lost} (v1): started for this service but never recorded (an interrupted run)`,
      );
      expect(await rig.alive(lost)).toBe(false);
      expect(await rig.markedGroups()).toEqual([await rig.recordedPid()]);
      expect(await rig.answer()).toBe('v2');
    });

    it('a listener running from the service’s releases without a marker (an older Marshal) is stopped', async () => {
      await rig.upload(['v1', 'v2']);
      const old = await rig.foreign(rig.port, {
        cwd: 'api/releases/v1',
        script: 'server.mjs',
        version: 'v1',
      });
      const io = await rig.deploy('v2');
      await rig.apply(rig.health('v2'));
      const from = await realDir('api/releases/v1');
      expect(io.text('info')).toContain(
        `stopping pid ${old} on port ${rig.port}: runs from ${from} but was never recorded`,
      );
      expect(await rig.alive(old)).toBe(false);
      expect(await rig.answer()).toBe('v2');
    });
  });

  describe('the port', () => {
    it('held by a foreign process: the start fails for good naming it, and leaves it running', async () => {
      const holder = await rig.foreign(rig.port);
      const command = shortened(await rig.commandLine(holder));
      await rig.upload(['v1']);
      await rig.apply({ kind: 'switch', version: 'v1', keep: 5 });
      const { error } = await rig.failure({ kind: 'start', process: rig.spec('v1') });
      expect(error).toMatchObject({
        code: 'PORT_IN_USE',
        retryable: false,
        details: { port: rig.port, holderPid: holder, holderCommand: command },
      });
      expect(error.message).toMatch(/^cannot start api( on \S+)?: /);
      expect(error.message).toContain(
        `: port ${rig.port} is held by pid ${holder} "${command}", not by a process Marshal started for api`,
      );
      expect(await rig.alive(holder)).toBe(true);
      expect(await rig.recordedPid()).toBeNull();
      expect(await rig.markedGroups()).toEqual([]);
    });
  });
}
