/**
 * Releases from read-only artifacts, deployed by a user who is not root: build tools such as
 * Bazel and Nix write their outputs without write bits. Root ignores permissions, so when the
 * suite runs as root the CLI runs without that power (setpriv drops CAP_DAC_OVERRIDE and
 * CAP_DAC_READ_SEARCH from it): the owner's permission bits then apply to it as to anyone.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SMALL_TREE } from '../../src/providers/local/small-tree.js';
import { marshal, type TempProject, tempProject } from './harness.js';

const asOwner =
  process.getuid?.() === 0 ? ['setpriv', '--bounding-set=-dac_override,-dac_read_search', '--'] : [];

let project: TempProject | undefined;
afterEach(() => {
  if (project === undefined) return;
  // The artifacts are read-only: give their owner the write bits back so they can be removed.
  execFileSync('chmod', ['-R', 'u+w', project.dir]);
  project.cleanup();
  project = undefined;
});

describe('a read-only artifact, deployed by a user who is not root', () => {
  // Small trees are copied and removed by Node, large ones (past SMALL_TREE) by cp and rm.
  it.each([
    ['small', 0],
    ['large', SMALL_TREE.entries + 10],
  ])(
    '%s: is uploaded, switched to, checked, kept as read-only, and pruned in later deploys',
    async (_, assets) => {
      project = tempProject({
        'marshal.yaml': `services:
  app:
    group: app
    artifact: build/{{ version }}
    keepReleases: 2
    health:
      command: grep -qx {{ version }} VERSION
environments:
  dev:
    groups:
      app:
        hosts: [{ name: h1, root: hosts/h1 }]
`,
      });
      const versions = ['v1', 'v2', 'v3', 'v4'];
      for (const v of versions) {
        project.write(`build/${v}/VERSION`, `${v}\n`);
        project.write(`build/${v}/bin/app`, '#!/bin/sh\n');
        for (let i = 0; i < assets; i++) project.write(`build/${v}/bin/assets/${i}.css`, `/* ${i} */\n`);
        if (assets > 0) chmodSync(join(project.dir, `build/${v}/bin/assets`), 0o555);
        chmodSync(join(project.dir, `build/${v}/bin/app`), 0o555);
        chmodSync(join(project.dir, `build/${v}/bin`), 0o555);
        chmodSync(join(project.dir, `build/${v}/VERSION`), 0o444);
        chmodSync(join(project.dir, `build/${v}`), 0o555);
      }
      for (const v of versions) {
        const run = await marshal(project.dir, ['deploy', 'dev', '--version', v, '-q'], {}, asOwner);
        expect(run.code, run.stdout + run.stderr).toBe(0);
        expect(run.stdout).not.toContain('could not prune');
      }
      const app = join(project.dir, 'hosts/h1/app');
      expect(readlinkSync(join(app, 'current'))).toBe('releases/v4');
      expect(readFileSync(join(app, 'current/VERSION'), 'utf8')).toBe('v4\n');
      // The release keeps the artifact's modes (its marker was written all the same).
      expect(statSync(join(app, 'releases/v4')).mode & 0o777).toBe(0o555);
      expect(statSync(join(app, 'releases/v4/bin')).mode & 0o777).toBe(0o555);
      // keepReleases: 2 — the older releases were removed although their artifacts were read-only.
      expect(readdirSync(join(app, 'releases')).sort()).toEqual(['v3', 'v4']);
    },
    60_000,
  );
});
