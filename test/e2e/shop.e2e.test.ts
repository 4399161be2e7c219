/**
 * The shop, end to end through the CLI: real processes on real ports, real
 * HTTP health checks, the SQLite store; every answer read back from the
 * store by a new CLI process after the deploying one has exited.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpGet, marshal, marshalJson, type ShopPorts, shopProject, type TempProject } from './harness.js';

interface HistoryRun {
  id: number;
  state: string;
  actor: string;
  configDigest: string;
  createdAt: number;
  endedAt: number | null;
  versions: { service: string; from: string | null; to: string }[];
  reason: string | null;
}

describe('shop demo through the CLI', () => {
  let shop: TempProject & { ports: ShopPorts };

  beforeAll(async () => {
    shop = await shopProject();
  });
  afterAll(() => shop.cleanup());

  it('deploys v1 and v2 in order; every service answers HTTP', async () => {
    const v1 = await marshal(shop.dir, ['deploy', 'dev', '--version', 'v1', '--reason', 'first']);
    expect(v1.code, v1.stdout + v1.stderr).toBe(0);
    const v2 = await marshal(shop.dir, ['deploy', 'dev', '--version', 'v2']);
    expect(v2.code, v2.stdout + v2.stderr).toBe(0);
    for (const port of Object.values(shop.ports)) {
      expect((await httpGet(`http://127.0.0.1:${port}/`)).body).toContain('v2');
    }
    // db before api before worker and web: each service starts after what it needs has ended.
    const { json } = await marshalJson<{ steps: { stepId: string; startedAt: number; endedAt: number }[] }>(
      shop.dir,
      ['show', 'last'],
    );
    const span = (svc: string) => {
      const steps = json.steps.filter((s) => s.stepId.startsWith(`${svc}/`));
      return {
        start: Math.min(...steps.map((s) => s.startedAt)),
        end: Math.max(...steps.map((s) => s.endedAt)),
      };
    };
    expect(span('api').start).toBeGreaterThanOrEqual(span('db').end);
    expect(span('worker').start).toBeGreaterThanOrEqual(span('api').end);
    expect(span('web').start).toBeGreaterThanOrEqual(span('api').end);
    // worker and web run side by side.
    expect(span('worker').start).toBeLessThan(span('web').end);
    expect(span('web').start).toBeLessThan(span('worker').end);
  });

  it('says there is nothing to change when everything is at the desired version', async () => {
    const result = await marshal(shop.dir, ['deploy', 'dev', '--version', 'v2']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Nothing to change');
  });

  it('rolls back a v3 whose api fails its health check: exit 1, db migration reverted, all on v2', async () => {
    const v3 = await marshal(shop.dir, ['deploy', 'dev', '--version', 'v3']);
    expect(v3.code, v3.stdout + v3.stderr).toBe(1);
    expect(v3.stdout).toContain('api/dev-app-1/health FAILED [HEALTH_CHECK_FAILED]');
    for (const port of Object.values(shop.ports)) {
      expect((await httpGet(`http://127.0.0.1:${port}/`)).body).toMatch(/v2/);
    }
    const db = await httpGet(`http://127.0.0.1:${shop.ports.db}/`);
    expect(db.body).toContain('schema=v2');
    const schema = JSON.parse(
      readFileSync(join(shop.dir, '.marshal/hosts/dev/dev-db-1/db-data/schema.json'), 'utf8'),
    );
    expect(schema.history.map((h: { to: string }) => h.to)).toEqual(['v1', 'v2', 'v3', 'v2']);
  });

  it('status answers from the store: every service on v2', async () => {
    const { code, json } = await marshalJson<{
      services: { service: string; targets: { version: string }[] }[];
    }>(shop.dir, ['status']);
    expect(code).toBe(0);
    expect(
      Object.fromEntries(json.services.map((s) => [s.service, s.targets.map((t) => t.version)])),
    ).toEqual({
      api: ['v2'],
      db: ['v2'],
      web: ['v2'],
      worker: ['v2'],
    });
  });

  it('history records actor, versions, config digest, timings and outcome of every run', async () => {
    const { json } = await marshalJson<{ runs: HistoryRun[] }>(shop.dir, ['history']);
    expect(json.runs.map((r) => r.state)).toEqual(['rolled_back', 'succeeded', 'succeeded']);
    for (const run of json.runs) {
      expect(run.actor).toBe('e2e-tester');
      expect(run.configDigest).toMatch(/^[0-9a-f]{64}$/);
      expect(run.endedAt).toBeGreaterThanOrEqual(run.createdAt);
    }
    expect(json.runs[2]?.reason).toBe('first');
    expect(json.runs[0]?.versions.find((v) => v.service === 'api')).toEqual({
      service: 'api',
      from: 'v2',
      to: 'v3',
    });
  });

  it('show names the root cause, the skipped steps and the rollback in reverse order', async () => {
    const { json } = await marshalJson<{
      run: { state: string; error: { message: string } };
      steps: { stepId: string; state: string; note: string | null }[];
    }>(shop.dir, ['show', '3']);
    expect(json.run.state).toBe('rolled_back');
    expect(json.run.error.message).toContain('api/dev-app-1/health failed');
    const failed = json.steps.filter((s) => s.state === 'failed').map((s) => s.stepId);
    expect(failed).toEqual(['api/dev-app-1/health']);
    expect(
      json.steps.filter((s) => s.state === 'skipped').every((s) => /^(web|worker)\//.test(s.stepId)),
    ).toBe(true);
    const rollback = json.steps.filter((s) => s.stepId.startsWith('rollback/')).map((s) => s.stepId);
    expect(rollback).toEqual([
      'rollback/api/dev-app-1/restore',
      'rollback/db/dev-db-1/run:migrate-down',
      'rollback/db/dev-db-1/restore',
    ]);
    const text = await marshal(shop.dir, ['show', '3']);
    expect(text.stdout).toContain('✗ api/dev-app-1/health');
  });

  it('logs replay step output from the store', async () => {
    const logs = await marshal(shop.dir, ['logs', '3', '--step', 'db/']);
    expect(logs.code).toBe(0);
    expect(logs.stdout).toContain('migrating schema v2 → v3');
    const health = await marshal(shop.dir, ['logs', 'last', '--step', 'api/dev-app-1/health']);
    expect(health.stdout).toContain('answered 500 (expected 200)');
    expect(health.stdout).not.toContain('migrating');
  });

  it('rolls back by hand to the previous release, then to a given run', async () => {
    const back = await marshal(shop.dir, ['rollback', 'dev']);
    expect(back.code, back.stdout + back.stderr).toBe(0);
    expect((await httpGet(`http://127.0.0.1:${shop.ports.api}/`)).body).toContain('api v1');
    const forward = await marshal(shop.dir, ['rollback', 'dev', '--to', '2']);
    expect(forward.code, forward.stdout + forward.stderr).toBe(0);
    expect((await httpGet(`http://127.0.0.1:${shop.ports.web}/`)).body).toContain('web v2');
    const { json } = await marshalJson<{ runs: { kind: string }[] }>(shop.dir, ['history', '--limit', '2']);
    expect(json.runs.map((r) => r.kind)).toEqual(['rollback', 'rollback']);
  });

  it('keeps releases on the target and a verifiable audit chain', async () => {
    expect(existsSync(join(shop.dir, '.marshal/hosts/dev/dev-app-1/api/releases/v1'))).toBe(true);
    const audit = await marshal(shop.dir, ['audit', 'verify']);
    expect(audit.code).toBe(0);
    expect(audit.stdout).toContain('hash chain intact');
    // Someone edits history behind Marshal's back: the audit names the event.
    const Database = (await import('better-sqlite3')).default;
    const db = new Database(join(shop.dir, '.marshal/state.db'));
    db.prepare(
      "UPDATE events SET data = replace(data, 'e2e-tester', 'someone-else') WHERE type = 'run.created' AND run_id = 2",
    ).run();
    db.close();
    const tampered = await marshal(shop.dir, ['audit', 'verify']);
    expect(tampered.code).toBe(1);
    expect(tampered.stderr).toMatch(
      /error\[AUDIT_FAILED\]: the event log was changed: event \d+: hash does not match/,
    );
  });
});
