/**
 * The behaviour every Provider that deploys releases and runs processes shares (`local`,
 * `ssh`; a container provider next). Each runs it from its own test file:
 *
 *   runProviderContract('ssh', { open: async () => ({ newProvider, newTarget, sh, … }) });
 *
 * Every test is written once against the Provider interface: it acts through `apply`,
 * `isDone` and `inspect`, and sets up or looks at the target only with shell commands on its
 * host (the fixture says how to run one there). Split by area: provider-contract-releases.ts
 * (upload, switch), -prune.ts, -processes.ts (start, stop, ownership, the port), -health.ts,
 * -restore.ts and -inspect.ts.
 */
import { chmod, copyFile, mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, beforeEach, describe } from 'vitest';
import {
  ContractRig,
  type ProviderFixture,
  type ProviderHost,
  SERVICE,
  type SuiteFiles,
  SWEEP,
  type WhenRigReady,
} from './provider-contract-fixtures.js';
import { describeHealth } from './provider-contract-health.js';
import { describeInspect } from './provider-contract-inspect.js';
import { describeProcesses } from './provider-contract-processes.js';
import { describePrune } from './provider-contract-prune.js';
import { describeReleases } from './provider-contract-releases.js';
import { describeRestore } from './provider-contract-restore.js';
import { freePort, removeDir, tempDir } from './provider-testkit.js';

export type { ProviderFixture, ProviderHost } from './provider-contract-fixtures.js';

const SERVER = fileURLToPath(new URL('../providers/fixtures/server.mjs', import.meta.url));

export function runProviderContract(name: string, fixture: ProviderFixture): void {
  describe(`Provider contract: ${name}`, () => {
    let host: ProviderHost;
    let files: SuiteFiles;
    let rig: ContractRig;
    const users: ((rig: ContractRig) => void)[] = [];

    beforeAll(async () => {
      const work = await tempDir('marshal-contract-');
      files = await buildArtifacts(work);
      host = await fixture.open();
    });
    afterAll(async () => {
      await host?.close();
      if (files === undefined) return;
      // Its owner may not empty a read-only directory (root may): give the write bits back first.
      for (const dir of ['bin', '.']) await chmod(join(files.readOnlyArtifact, dir), 0o755);
      await removeDir(files.work);
    });
    beforeEach(async () => {
      const target = await host.newTarget(SERVICE, files.work);
      rig = new ContractRig(host.newProvider(), target, host, files, await freePort());
      for (const use of users) use(rig);
    });
    afterEach(async () => {
      // Nothing a test started outlives it, whatever the provider did.
      try {
        await rig.sh(SWEEP);
      } finally {
        await rig.provider.close();
      }
    });
    const whenReady: WhenRigReady = (use) => {
      users.push(use);
    };

    describeReleases(whenReady);
    describePrune(whenReady);
    describeProcesses(whenReady);
    describeHealth(whenReady);
    describeRestore(whenReady);
    describeInspect(whenReady);
  });
}

/**
 * The test service as an artifact: writable (with a directory and a symlink); read-only (directories 0555, files 0444); and
 * with a release marker of its own that is a link out of the release (a release copied back).
 */
async function buildArtifacts(work: string): Promise<SuiteFiles> {
  const artifact = join(work, 'artifact');
  const readOnlyArtifact = join(work, 'read-only');
  const markedArtifact = join(work, 'marked');
  for (const dir of [artifact, join(readOnlyArtifact, 'bin'), markedArtifact])
    await mkdir(dir, { recursive: true });
  await copyFile(SERVER, join(markedArtifact, 'server.mjs'));
  await symlink('../../outside.txt', join(markedArtifact, '.marshal-release'));
  await copyFile(SERVER, join(artifact, 'server.mjs'));
  await mkdir(join(artifact, 'lib'));
  await writeFile(join(artifact, 'lib', 'util.txt'), 'util\n');
  await symlink('server.mjs', join(artifact, 'link.txt'));
  await copyFile(SERVER, join(readOnlyArtifact, 'server.mjs'));
  await copyFile(SERVER, join(readOnlyArtifact, 'bin', 'tool.mjs'));
  for (const file of ['server.mjs', 'bin/tool.mjs']) await chmod(join(readOnlyArtifact, file), 0o444);
  for (const dir of ['bin', '.']) await chmod(join(readOnlyArtifact, dir), 0o555);
  return { work, artifact, readOnlyArtifact, markedArtifact };
}
