/**
 * Opening a SQLite store file: connection settings and schema migrations.
 *
 * Migrations are an ordered list of SQL scripts; script i brings the schema
 * to version i + 1, recorded in `PRAGMA user_version` inside the same
 * transaction, so a crash never leaves a half-migrated file. Append only:
 * never edit a script that has shipped.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { MarshalError } from '../../model/errors.js';
import { storeFailure } from './failure.js';
import { sqliteAddon } from './native.js';

export const MIGRATIONS: readonly string[] = [
  // 1: the event log, its projections, logs and locks.
  `
  CREATE TABLE events (
    -- AUTOINCREMENT keeps the highest seq ever assigned in sqlite_sequence,
    -- which lets verifyChain notice a deleted tail.
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id INTEGER NOT NULL REFERENCES runs(id),
    step_id TEXT,
    type TEXT NOT NULL,
    at INTEGER NOT NULL,
    data TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
  );
  CREATE INDEX events_run ON events (run_id, seq);

  CREATE TABLE runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    environment TEXT NOT NULL,
    kind TEXT NOT NULL,
    state TEXT NOT NULL,
    actor TEXT NOT NULL,
    reason TEXT,
    config_digest TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    ended_at INTEGER,
    error TEXT
  );
  CREATE INDEX runs_environment ON runs (environment, id);
  CREATE INDEX runs_state ON runs (state, id);

  -- Plans are large (one entry per target); kept apart so that the runs row,
  -- updated on every batch of events, stays small.
  CREATE TABLE run_plans (
    run_id INTEGER PRIMARY KEY REFERENCES runs(id),
    plan TEXT NOT NULL
  );

  CREATE TABLE steps (
    run_id INTEGER NOT NULL REFERENCES runs(id),
    step_id TEXT NOT NULL,
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    started_at INTEGER,
    ended_at INTEGER,
    duration_ms INTEGER,
    error TEXT,
    note TEXT,
    PRIMARY KEY (run_id, step_id)
  ) WITHOUT ROWID;

  CREATE TABLE targets (
    environment TEXT NOT NULL,
    service TEXT NOT NULL,
    target TEXT NOT NULL,
    version TEXT NOT NULL,
    previous TEXT,
    -- 0 while a run is changing the target or after it failed there.
    healthy INTEGER NOT NULL DEFAULT 1,
    -- The slot serving traffic (blue-green, canary), or NULL.
    slot TEXT,
    run_id INTEGER NOT NULL REFERENCES runs(id),
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (environment, service, target)
  ) WITHOUT ROWID;

  CREATE TABLE logs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id INTEGER NOT NULL REFERENCES runs(id),
    step_id TEXT NOT NULL,
    at INTEGER NOT NULL,
    stream TEXT NOT NULL,
    line TEXT NOT NULL
  );
  CREATE INDEX logs_run ON logs (run_id, id);
  CREATE INDEX logs_step ON logs (run_id, step_id, id);

  CREATE TABLE locks (
    environment TEXT PRIMARY KEY,
    run_id INTEGER NOT NULL,
    actor TEXT NOT NULL,
    pid INTEGER NOT NULL,
    hostname TEXT NOT NULL,
    acquired_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
  ) WITHOUT ROWID;
  `,
  // 2: each run's versions in its row (RunSummary), so that listing runs reads no plan: a plan
  // holds every target, 6 MB at 20 services × 10,000 hosts, and rollback looks at many runs.
  `
  ALTER TABLE runs ADD COLUMN changes TEXT NOT NULL DEFAULT '[]';
  ALTER TABLE runs ADD COLUMN unchanged TEXT NOT NULL DEFAULT '[]';
  -- COALESCE: a plan that lacks a list (or a run that lacks its plan) reads as empty, not NULL.
  UPDATE runs SET
    changes = COALESCE((
      SELECT json_group_array(
        json_object('service', s.value ->> '$.name', 'from', s.value ->> '$.from', 'to', s.value ->> '$.to')
        ORDER BY s.key)
      FROM run_plans p, json_each(p.plan, '$.services') s WHERE p.run_id = runs.id), '[]'),
    unchanged = COALESCE((SELECT json(p.plan -> '$.unchanged') FROM run_plans p WHERE p.run_id = runs.id), '[]');
  `,
  // 3: a run's own events (created, its states), from which its working time is derived
  // (getRunSpans), found without reading its step events: a handful among up to a million.
  `
  CREATE INDEX events_run_state ON events (run_id, seq) WHERE type IN ('run.created', 'run.state');
  `,
];

export interface OpenOptions {
  /** Open without writing anything; the schema must already be current. */
  readonly?: boolean;
}

/** Opens (creating it and its directory unless read-only) and migrates a store file. */
export function openDatabase(path: string, options: OpenOptions = {}): Database.Database {
  const readonly = options.readonly === true;
  let db: Database.Database;
  try {
    if (!readonly) mkdirSync(dirname(path), { recursive: true });
    else if (!existsSync(path)) throw new Error('does not exist');
    const addon = sqliteAddon();
    db = new Database(path, {
      readonly,
      fileMustExist: readonly,
      ...(addon ? { nativeBinding: addon } : {}),
    });
  } catch (err) {
    throw storeFailure(path, err, 'cannot open');
  }
  try {
    db.pragma('busy_timeout = 5000');
    db.pragma('foreign_keys = ON');
    if (!readonly) {
      const mode = db.pragma('journal_mode = WAL', { simple: true });
      if (mode !== 'wal') throw new Error(`cannot use WAL journal (got ${String(mode)})`);
      // NORMAL: commits do not fsync the WAL themselves; SqliteStore syncs it after every write,
      // off the event loop and shared between commits (see wal-sync.ts). Durability is FULL's.
      db.pragma('synchronous = NORMAL');
    }
    migrate(db, path, readonly);
    return db;
  } catch (err) {
    db.close();
    if (err instanceof MarshalError) throw err;
    throw storeFailure(path, err);
  }
}

/** The schema version recorded in the file. */
export function schemaVersion(db: Database.Database): number {
  return db.pragma('user_version', { simple: true }) as number;
}

function migrate(db: Database.Database, path: string, readonly: boolean): void {
  const known = MIGRATIONS.length;
  const current = schemaVersion(db);
  if (current > known) {
    throw new MarshalError(
      'STORE_ERROR',
      `store ${path} has schema version ${current}, newer than this Marshal knows (${known})`,
      { hint: 'upgrade Marshal; a newer version wrote this store' },
    );
  }
  if (current === known) return;
  if (readonly) {
    throw new MarshalError('STORE_ERROR', `store ${path} has schema version ${current}; ${known} is needed`, {
      hint: 'run a command that writes (e.g. `marshal deploy`) to upgrade it',
    });
  }
  for (let version = current; version < known; version++) {
    // IMMEDIATE: two processes opening an old file at once migrate one after the other.
    db.transaction(() => {
      if (schemaVersion(db) !== version) return; // the other process got there first
      db.exec(MIGRATIONS[version] as string);
      db.pragma(`user_version = ${version + 1}`);
    }).immediate();
  }
}
