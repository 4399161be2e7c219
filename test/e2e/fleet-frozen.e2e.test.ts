/**
 * A host that stops answering mid-step (its sshd and the processes serving Marshal's connection
 * SIGSTOPped: the TCP connection stays open and the kernel acknowledges, but nothing answers — a
 * hung VM). The step there times out, the run ends within its failure budget, and the CLI must
 * then exit: closing the connection to that host may not wait for an answer that never comes.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SshdHosts, startSshdHosts } from '../../src/testing/sshd-hosts.js';
import { marshalJson, start, type TempProject, tempProject, waitFor } from './harness.js';

let fleet: SshdHosts;
let project: TempProject;

beforeAll(async () => {
  fleet = await startSshdHosts(3);
  project = tempProject();
  // host2's step would sleep for 30 s: it is in its sleep when the host is frozen, and only the
  // step's timeout ends it. Within maxFailures: 1 the run succeeds without it.
  const hosts = fleet.hosts.map(
    (h) =>
      `          - { name: ${h.name}, address: 127.0.0.1, port: ${h.port}, user: ${h.user}, root: ${h.root}, vars: { nap: ${h.name === 'host2' ? 30 : 0.2} } }`,
  );
  project.write(
    'marshal.yaml',
    `defaults:
  provider: ssh
  ssh:
    identityFile: ${fleet.identityFile}
    knownHosts: ${fleet.knownHostsFile}
    connectTimeout: 3s
services:
  job:
    group: fleet
    version: j1
    strategy: { type: rolling, batchSize: 3, maxFailures: 1 }
    steps:
      - name: work
        run: touch {{ host.root }}/started; sleep {{ host.nap }}
        timeout: 2s
environments:
  prod:
    groups:
      fleet:
        hosts:
${hosts.join('\n')}
`,
  );
}, 60_000);

afterAll(async () => {
  // SIGCONT first: nothing of the host may stay stopped, whatever the test did.
  fleet?.thaw('host2');
  await fleet?.stop();
  project?.cleanup();
});

describe('a host frozen mid-step', () => {
  it('times the step out, ends the run within its budget, and the CLI exits within 5 s of the summary', async () => {
    const frozen = fleet.host('host2');
    const deploy = start(project.dir, ['deploy', 'prod']);
    await waitFor(() => existsSync(join(frozen.root, 'started')), 20_000, 'the step to start on host2');
    fleet.freeze('host2');

    let summaryAt = 0;
    await waitFor(
      () => {
        if (/^Run #1 succeeded/m.test(deploy.output())) summaryAt = Date.now();
        return summaryAt > 0;
      },
      30_000,
      'the run summary',
    );
    const exited = await Promise.race([
      deploy.done,
      new Promise<null>((resolve) => setTimeout(() => resolve(null), 20_000)),
    ]);
    if (exited === null) deploy.child.kill('SIGKILL');
    const afterSummaryMs = Date.now() - summaryAt;
    expect(exited, `still running 20 s after the summary:\n${deploy.output()}`).not.toBeNull();
    expect(afterSummaryMs, deploy.output()).toBeLessThanOrEqual(5000);
    expect(exited?.code, deploy.output()).toBe(0);
    expect(exited?.stdout).toMatch(/warning: 1 target failed within the failure budget.*job\/host2/);

    fleet.thaw('host2');
    const { json } = await marshalJson<{
      steps: { stepId: string; state: string; error: { code: string } | null }[];
    }>(project.dir, ['show', '1']);
    const step = json.steps.find((s) => s.stepId === 'job/host2/run:work');
    expect(step?.state).toBe('failed');
    expect(step?.error?.code).toBe('TIMEOUT');
  }, 90_000);
});
