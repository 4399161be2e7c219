import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import type { NewRun } from '../../model/store.js';
import { isAlive } from '../../providers/process.js';
import { runStoreContract, storeTestPlan, storeTestService } from '../../testing/store-contract.js';
import { planToJson } from '../plan-json.js';
import { MIGRATIONS } from './schema.js';
import { SqliteStore } from './sqlite-store.js';

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'marshal-sqlite-'));
  dirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** A second connection to the file, as another process (or an attacker) would have. */
function raw<T>(path: string, fn: (db: Database.Database) => T): T {
  const db = new Database(path);
  try {
    return fn(db);
  } finally {
    db.close();
  }
}

runStoreContract('sqlite', async () => {
  const dir = tempDir();
  const path = join(dir, 'state.db');
  const store = SqliteStore.open(path, { pidAlive: isAlive });
  return {
    store,
    cleanup: async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
    tamper: {
      setEventData: async (seq, data) => {
        raw(path, (db) =>
          db.prepare('UPDATE events SET data = ? WHERE seq = ?').run(JSON.stringify(data), seq),
        );
      },
      deleteEvent: async (seq) => {
        raw(path, (db) => db.prepare('DELETE FROM events WHERE seq = ?').run(seq));
      },
      setPlan: async (runId, planJson) => {
        raw(path, (db) => db.prepare('UPDATE run_plans SET plan = ? WHERE run_id = ?').run(planJson, runId));
      },
    },
  };
});

const newRun = (at = 1000): NewRun => ({
  environment: 'prod',
  kind: 'deploy',
  actor: 'alice',
  reason: null,
  plan: storeTestPlan(),
  at,
});

describe('SqliteStore', () => {
  it('creates the directory, uses WAL (NORMAL sync plus its own WAL fsync per write), and records migrations in user_version', async () => {
    const path = join(tempDir(), 'nested', 'deeper', 'state.db');
    const store = SqliteStore.open(path);
    const db = (store as unknown as { db: Database.Database }).db;
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('synchronous', { simple: true })).toBe(1);
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(db.pragma('busy_timeout', { simple: true })).toBe(5000);
    await store.close();
    expect(raw(path, (d) => d.pragma('user_version', { simple: true }))).toBe(MIGRATIONS.length);
    // Reopening an up-to-date file applies nothing.
    await SqliteStore.open(path).close();
    expect(raw(path, (d) => d.pragma('user_version', { simple: true }))).toBe(MIGRATIONS.length);
  });

  it('migration 2 gives the runs of an older file their versions, read from their plans', async () => {
    const path = join(tempDir(), 'state.db');
    const plan = {
      ...storeTestPlan(),
      services: [storeTestService('api', 'v1', 'v2'), storeTestService('web', null, 'v3')],
    };
    raw(path, (db) => {
      db.exec(MIGRATIONS[0] as string);
      db.pragma('user_version = 1');
      db.prepare(
        `INSERT INTO runs (id, environment, kind, state, actor, reason, config_digest, created_at, updated_at)
         VALUES (1, 'prod', 'deploy', 'succeeded', 'alice', NULL, 'x', 1000, 2000)`,
      ).run();
      db.prepare('INSERT INTO run_plans (run_id, plan) VALUES (1, ?)').run(planToJson(plan));
      // A plan without its lists, as a hand-edited or truncated file may hold.
      db.prepare(
        `INSERT INTO runs (id, environment, kind, state, actor, reason, config_digest, created_at, updated_at)
         VALUES (2, 'prod', 'deploy', 'failed', 'alice', NULL, 'x', 3000, 4000)`,
      ).run();
      db.prepare(`INSERT INTO run_plans (run_id, plan) VALUES (2, '{"format":1}')`).run();
      // And a run whose plan row is gone.
      db.prepare(
        `INSERT INTO runs (id, environment, kind, state, actor, reason, config_digest, created_at, updated_at)
         VALUES (3, 'prod', 'deploy', 'failed', 'alice', NULL, 'x', 5000, 6000)`,
      ).run();
    });
    const store = SqliteStore.open(path);
    try {
      expect(await store.listRuns()).toMatchObject([
        { id: 3, changes: [], unchanged: [] },
        { id: 2, changes: [], unchanged: [] },
        {
          id: 1,
          state: 'succeeded',
          changes: [
            { service: 'api', from: 'v1', to: 'v2' },
            { service: 'web', from: null, to: 'v3' },
          ],
          unchanged: [{ service: 'db', version: '1.0.0' }],
        },
      ]);
    } finally {
      await store.close();
    }
  });

  it('refuses a file written by a newer Marshal', () => {
    const path = join(tempDir(), 'state.db');
    raw(path, (db) => db.pragma(`user_version = ${MIGRATIONS.length + 1}`));
    expect(() => SqliteStore.open(path)).toThrow(
      expect.objectContaining({
        code: 'STORE_ERROR',
        message: expect.stringMatching(/newer than this Marshal knows/),
      }),
    );
  });

  it('read-only: reads, refuses writes, never creates or migrates', async () => {
    const dir = tempDir();
    expect(() => SqliteStore.open(join(dir, 'none.db'), { readonly: true })).toThrow(
      expect.objectContaining({ code: 'STORE_ERROR' }),
    );
    const old = join(dir, 'old.db');
    raw(old, () => undefined);
    expect(() => SqliteStore.open(old, { readonly: true })).toThrow(/schema version 0/);

    const path = join(dir, 'state.db');
    const writer = SqliteStore.open(path);
    const { id } = await writer.createRun(newRun());
    await writer.close();
    const reader = SqliteStore.open(path, { readonly: true });
    expect((await reader.getRun(id))?.state).toBe('pending');
    await expect(reader.createRun(newRun())).rejects.toMatchObject({ code: 'STORE_ERROR' });
    await reader.close();
  });

  it('two connections appending alternately keep one valid chain', async () => {
    const path = join(tempDir(), 'state.db');
    const a = SqliteStore.open(path);
    const b = SqliteStore.open(path);
    const runA = await a.createRun(newRun());
    const runB = await b.createRun(newRun());
    expect(runB.id).toBe(runA.id + 1);
    for (let i = 0; i < 20; i++) {
      const [store, run] = i % 2 === 0 ? [a, runA] : [b, runB];
      await store.append([
        { type: 'step.started', runId: run.id, stepId: `s/h/${i}`, at: i, data: { attempt: 1 } },
        {
          type: 'step.succeeded',
          runId: run.id,
          stepId: `s/h/${i}`,
          at: i,
          data: { attempt: 1, durationMs: 1 },
        },
      ]);
    }
    expect(await a.verifyChain()).toEqual({ ok: true, events: 42 });
    expect(await b.verifyChain()).toEqual({ ok: true, events: 42 });
    expect((await b.getSteps(runA.id)).length).toBe(10);
    await a.close();
    await b.close();
  });

  it('verifies a log longer than the page it reads at a time, and finds a change past the first page', async () => {
    const path = join(tempDir(), 'state.db');
    const store = SqliteStore.open(path);
    try {
      const run = await store.createRun(newRun());
      const events = Array.from({ length: 25_000 }, (_, i) => ({
        type: 'step.started' as const,
        runId: run.id,
        stepId: `s/h${i}/run`,
        at: i,
        data: { attempt: 1 },
      }));
      await store.append(events);
      expect(await store.verifyChain()).toEqual({ ok: true, events: 25_001 });
      raw(path, (db) => db.prepare('UPDATE events SET at = at + 1 WHERE seq = 22222').run());
      expect(await store.verifyChain()).toMatchObject({ ok: false, problem: { seq: 22222 } });
    } finally {
      await store.close();
    }
  });

  it('verifies the versions a run records against its plan: rollback chooses by them', async () => {
    const path = join(tempDir(), 'state.db');
    const store = SqliteStore.open(path);
    try {
      const plan = { ...storeTestPlan(), services: [storeTestService('api', 'v1', 'v2')] };
      const run = await store.createRun({ ...newRun(), plan });
      expect(await store.verifyChain()).toMatchObject({ ok: true });
      raw(path, (db) =>
        db
          .prepare('UPDATE runs SET changes = ? WHERE id = ?')
          .run('[{"service":"api","from":"v0","to":"v2"}]', run.id),
      );
      const report = await store.verifyChain();
      expect(report).toMatchObject({ ok: false, problem: { seq: 1 } });
      expect(report.problem?.reason).toMatch(/versions recorded for run \d+ do not match its plan/);
    } finally {
      await store.close();
    }
  });

  it('verifies rows forged below the first seq', async () => {
    const path = join(tempDir(), 'state.db');
    const store = SqliteStore.open(path);
    try {
      await store.createRun(newRun());
      raw(path, (db) =>
        db
          .prepare(
            `INSERT INTO events (seq, run_id, step_id, type, at, data, prev_hash, hash)
             SELECT 0, run_id, NULL, 'run.state', at, '{"state":"succeeded"}', prev_hash, hash FROM events WHERE seq = 1`,
          )
          .run(),
      );
      expect(await store.verifyChain()).toMatchObject({ ok: false, problem: { seq: 0 } });
    } finally {
      await store.close();
    }
  });

  it('keeps every acknowledged write when the writing process is killed', async () => {
    const dir = tempDir();
    const path = join(dir, 'state.db');
    // Node 20 cannot import .ts: a loader hook transpiles our sources for the child.
    const ts = pathToFileURL(createRequire(import.meta.url).resolve('typescript')).href;
    const hooks = join(dir, 'hooks.mjs');
    writeFileSync(
      hooks,
      `import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import ts from ${JSON.stringify(ts)};
export async function resolve(specifier, context, next) {
  try { return await next(specifier, context); } catch (err) {
    if (specifier.endsWith('.js') && context.parentURL?.endsWith('.ts')) return next(specifier.slice(0, -3) + '.ts', context);
    throw err;
  }
}
export async function load(url, context, next) {
  if (!url.endsWith('.ts')) return next(url, context);
  const fileName = fileURLToPath(url);
  const { outputText } = ts.transpileModule(readFileSync(fileName, 'utf8'), {
    fileName, compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: true },
  });
  return { format: 'module', source: outputText, shortCircuit: true };
}`,
    );
    const register = `data:text/javascript,import{register}from'node:module';register(${JSON.stringify(pathToFileURL(hooks).href)})`;
    const storeUrl = pathToFileURL(join(import.meta.dirname, 'sqlite-store.ts')).href;
    const script = `
      const { SqliteStore } = await import(${JSON.stringify(storeUrl)});
      const store = SqliteStore.open(${JSON.stringify(path)});
      const run = await store.createRun(${JSON.stringify(newRun())});
      await store.append([
        { type: 'run.state', runId: run.id, at: 1100, data: { state: 'running' } },
        { type: 'step.started', runId: run.id, stepId: 'api/h1/upload', at: 1200, data: { attempt: 1 } },
        { type: 'target.changed', runId: run.id, at: 1300, data: { service: 'api', target: 'h1', version: '2', previous: null } },
      ]);
      await store.append([], [{ runId: run.id, stepId: 'api/h1/upload', at: 1250, stream: 'stdout', line: 'copied' }]);
      await store.acquireLock('prod', { runId: run.id, actor: 'alice', pid: process.pid, hostname: 'box' }, 60000, 1000);
      process.kill(process.pid, 'SIGKILL');
    `;
    const child = spawnSync(process.execPath, ['--import', register, '--input-type=module', '-e', script], {
      encoding: 'utf8',
    });
    expect(child.stderr).toBe('');
    expect(child.signal).toBe('SIGKILL');

    const store = SqliteStore.open(path);
    expect(await store.getRun(1)).toMatchObject({ state: 'running', updatedAt: 1300, plan: storeTestPlan() });
    expect(await store.getSteps(1)).toMatchObject([{ stepId: 'api/h1/upload', state: 'running' }]);
    expect(await store.getTargets('prod')).toMatchObject([{ service: 'api', target: 'h1', version: '2' }]);
    expect((await store.getLogs({ runId: 1 })).map((l) => l.line)).toEqual(['copied']);
    expect(await store.getLock('prod')).toMatchObject({ runId: 1, hostname: 'box', expiresAt: 61000 });
    expect(await store.verifyChain()).toEqual({ ok: true, events: 4 });
    await store.close();
  });
});
