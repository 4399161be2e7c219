/**
 * The RunStore contract for the targets table: how events project into it and
 * the three ways it is read (every target, per service as parallel arrays,
 * grouped by version and health). Called by runStoreContract.
 */
import { describe, expect, it } from 'vitest';
import type { NewEvent } from '../model/run.js';
import type { RunStore } from '../model/store.js';
import { newRun, step, targetChanged, type WhenHarnessOpens } from './store-contract-fixtures.js';

export function describeTargets(whenOpened: WhenHarnessOpens): void {
  let store: RunStore;
  whenOpened((h) => {
    store = h.store;
  });

  describe('targets', () => {
    it('target.changed upserts the target of the run environment; a null version deletes it', async () => {
      const prod = await store.createRun(newRun('prod'));
      const dev = await store.createRun(newRun('dev'));
      await store.append([
        targetChanged(prod.id, 10, 'web', 'h2', '2'),
        targetChanged(prod.id, 11, 'api', 'h1', '2'),
        targetChanged(prod.id, 12, 'web', 'h1', '2'),
        targetChanged(dev.id, 13, 'api', 'h1', '3'),
      ]);
      expect((await store.getTargets('prod')).map((t) => `${t.service}/${t.target}@${t.version}`)).toEqual([
        'api/h1@2',
        'web/h1@2',
        'web/h2@2',
      ]);
      expect((await store.getTargets()).map((t) => t.environment)).toEqual(['dev', 'prod', 'prod', 'prod']);
      await store.append([
        targetChanged(dev.id, 20, 'api', 'h1', '4'),
        targetChanged(prod.id, 21, 'web', 'h2', null),
      ]);
      expect(await store.getTargets('dev')).toEqual([
        {
          environment: 'dev',
          service: 'api',
          target: 'h1',
          version: '4',
          previous: '1',
          healthy: true,
          slot: null,
          runId: dev.id,
          updatedAt: 20,
        },
      ]);
      expect((await store.getTargets('prod')).map((t) => `${t.service}/${t.target}`)).toEqual([
        'api/h1',
        'web/h1',
      ]);
      await store.append([
        {
          ...targetChanged(dev.id, 30, 'api', 'h1', '5'),
          data: { service: 'api', target: 'h1', version: '5', previous: '4', healthy: false },
        } as NewEvent,
      ]);
      expect((await store.getTargets('dev'))[0]).toMatchObject({ version: '5', healthy: false });
    });

    it('liveTargets: per service, its targets with their versions, health and slots, aligned', async () => {
      const prod = await store.createRun(newRun('prod'));
      const dev = await store.createRun(newRun('dev'));
      await store.append([
        targetChanged(prod.id, 10, 'web', 'h2', '3'),
        targetChanged(prod.id, 11, 'web', 'h1', '2', false),
        targetChanged(prod.id, 12, 'api', 'h9', '2'),
        targetChanged(dev.id, 13, 'api', 'h1', '9'),
        {
          ...targetChanged(prod.id, 14, 'web', 'h3', '3'),
          data: { service: 'web', target: 'h3', version: '3', previous: '2', slot: 'green' },
        } as NewEvent,
      ]);
      const live = await store.liveTargets('prod');
      expect(Object.keys(live).sort()).toEqual(['api', 'web']);
      expect(live.api).toEqual({ targets: ['h9'], versions: ['2'], healthy: [true], slots: [null] });
      // Any order, as long as the four arrays line up target by target.
      const web = live.web;
      const rows = web?.targets.map((t, i) => [t, web.versions[i], web.healthy[i], web.slots[i]]);
      expect(rows?.sort()).toEqual([
        ['h1', '2', false, null],
        ['h2', '3', true, null],
        ['h3', '3', true, 'green'],
      ]);
      expect(await store.liveTargets('staging')).toEqual({});
    });

    it('targetGroups: targets by service, version and health, named up to a number, counted beyond', async () => {
      const prod = await store.createRun(newRun('prod'));
      const dev = await store.createRun(newRun('dev'));
      await store.append([
        targetChanged(prod.id, 10, 'web', 'h3', '2'),
        targetChanged(prod.id, 11, 'web', 'h1', '3'),
        targetChanged(prod.id, 12, 'web', 'h2', '2'),
        targetChanged(prod.id, 13, 'web', 'h4', '2'),
        targetChanged(prod.id, 14, 'api', 'h1', '2', false),
        targetChanged(dev.id, 15, 'api', 'h1', '9'),
      ]);
      const group = (environment: string, service: string, version: string, healthy: boolean) => ({
        environment,
        service,
        version,
        healthy,
      });
      expect(await store.targetGroups(undefined, 2)).toEqual([
        { ...group('dev', 'api', '9', true), count: 1, targets: ['h1'], runId: dev.id, updatedAt: 15 },
        { ...group('prod', 'api', '2', false), count: 1, targets: ['h1'], runId: prod.id, updatedAt: 14 },
        // Ordered by each group's first target: h1 runs 3, h2 the first of three on 2.
        { ...group('prod', 'web', '3', true), count: 1, targets: ['h1'], runId: prod.id, updatedAt: 11 },
        { ...group('prod', 'web', '2', true), count: 3, targets: null, runId: prod.id, updatedAt: 13 },
      ]);
      expect((await store.targetGroups('prod', 3)).map((g) => g.targets)).toEqual([
        ['h1'],
        ['h1'],
        ['h2', 'h3', 'h4'],
      ]);
    });

    it('a step event that carries a target change projects it like target.changed', async () => {
      const { id } = await store.createRun(newRun('prod'));
      const target = { service: 'api', target: 'h1', version: '2', previous: '1' };
      await store.append([
        step(id, 'api/h1/upload', 1, {
          type: 'step.started',
          data: { attempt: 1, target: { ...target, healthy: false } },
        }),
      ]);
      expect(await store.getTargets('prod')).toEqual([
        expect.objectContaining({
          service: 'api',
          target: 'h1',
          version: '2',
          healthy: false,
          runId: id,
          updatedAt: 1,
        }),
      ]);
      expect((await store.getSteps(id))[0]).toMatchObject({ stepId: 'api/h1/upload', state: 'running' });
      await store.append([
        step(id, 'api/h1/upload', 2, {
          type: 'step.succeeded',
          data: { attempt: 1, durationMs: 1, target: { ...target, healthy: true } },
        }),
      ]);
      expect((await store.getTargets('prod'))[0]).toMatchObject({
        version: '2',
        healthy: true,
        updatedAt: 2,
      });
      expect((await store.getSteps(id))[0]).toMatchObject({ state: 'succeeded' });
    });
  });
}
