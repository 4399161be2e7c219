/**
 * The write path: events are chained and inserted, and the projections
 * updated, by the caller's transaction. Nothing here commits; the store wraps
 * every call in one BEGIN IMMEDIATE transaction so a batch is all or nothing.
 */
import { MarshalError } from '../../model/errors.js';
import type { Plan } from '../../model/plan.js';
import { changesOf, type NewEvent } from '../../model/run.js';
import type { NewRun } from '../../model/store.js';
import { canonicalJson, eventHash, GENESIS_HASH } from '../chain.js';
import {
  changedTarget,
  createdEvent,
  createdRun,
  isStepEvent,
  nextStep,
  runPatch,
  targetChangeOf,
} from '../projection.js';
import { STEP_COLUMNS, type Statements, type StepRow, stepParams, toStep } from './rows.js';

/**
 * The chain head, read inside the write transaction rather than cached: another
 * process may share the file. `head` is the highest seq ever assigned (kept by
 * AUTOINCREMENT even if rows are deleted), so a deleted tail leaves a gap that
 * verifyChain reports instead of being silently re-used.
 */
const HEAD_SQL = `SELECT
  (SELECT seq FROM sqlite_sequence WHERE name = 'events') AS head,
  (SELECT hash FROM events ORDER BY seq DESC LIMIT 1) AS hash`;

const INSERT_EVENT_SQL =
  'INSERT INTO events (seq, run_id, step_id, type, at, data, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)';

const INSERT_RUN_SQL = `INSERT INTO runs
  (id, environment, kind, state, actor, reason, config_digest, changes, unchanged, created_at, updated_at,
   ended_at, error)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL)`;

const UPSERT_STEP_SQL = `INSERT INTO steps (${STEP_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
  ON CONFLICT (run_id, step_id) DO UPDATE SET state = excluded.state, attempts = excluded.attempts,
  started_at = excluded.started_at, ended_at = excluded.ended_at, duration_ms = excluded.duration_ms,
  error = excluded.error, note = excluded.note`;

const UPSERT_TARGET_SQL = `INSERT INTO targets (environment, service, target, version, previous, healthy, slot, run_id, updated_at)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
  ON CONFLICT (environment, service, target) DO UPDATE SET version = excluded.version,
  previous = excluded.previous, healthy = excluded.healthy, slot = excluded.slot, run_id = excluded.run_id,
  updated_at = excluded.updated_at`;

/** A new run's plan, as an object and as the JSON text stored (and digested). */
interface CreatedPlan {
  plan: Plan;
  planJson: string;
}

/** Appends chained events and applies the projection rules, inside the caller's transaction. */
export class EventWriter {
  constructor(private readonly sql: Statements) {}

  /** The id `createRun` gives the next run (never re-used, thanks to AUTOINCREMENT). */
  nextRunId(): number {
    const row = this.sql
      .get<{ next: number }>(
        `SELECT MAX(COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'runs'), 0),
                    COALESCE((SELECT MAX(id) FROM runs), 0)) + 1 AS next`,
      )
      .get();
    return row?.next ?? 1;
  }

  /** Stores a new run's plan and appends its `run.created` event; inside a write transaction. */
  createRun(id: number, run: NewRun, planJson: string): void {
    this.append([createdEvent(id, run, planJson)], { plan: run.plan, planJson });
  }

  /** Chains, inserts and projects `events`; must run inside a write transaction. */
  append(events: readonly NewEvent[], created?: CreatedPlan): void {
    const head = this.sql.get<{ head: number | null; hash: string | null }>(HEAD_SQL).get();
    let seq = head?.head ?? 0;
    let prev = head?.hash ?? GENESIS_HASH;
    const insert = this.sql.get(INSERT_EVENT_SQL);
    // Runs touched by this batch → their environment; their updated_at is written once per batch.
    const runs = new Map<number, { environment: string; at: number }>();
    for (const event of events) {
      seq++;
      const dataJson = canonicalJson(event.data);
      const stepId = event.stepId ?? null;
      const hash = eventHash(prev, {
        seq,
        runId: event.runId,
        stepId,
        type: event.type,
        at: event.at,
        dataJson,
      });
      // Project first: an event for an unknown run fails here with a clear message.
      this.project(event, runs, created);
      insert.run(seq, event.runId, stepId, event.type, event.at, dataJson, prev, hash);
      prev = hash;
    }
    const touch = this.sql.get('UPDATE runs SET updated_at = MAX(updated_at, ?) WHERE id = ?');
    for (const [runId, { at }] of runs) touch.run(at, runId);
  }

  /** The environment of a run this batch touches; throws for a run that does not exist. */
  private runOf(
    event: NewEvent,
    runs: Map<number, { environment: string; at: number }>,
  ): { environment: string; at: number } {
    let run = runs.get(event.runId);
    if (run === undefined) {
      const row = this.sql
        .get<{ environment: string }>('SELECT environment FROM runs WHERE id = ?')
        .get(event.runId);
      if (row === undefined) {
        throw new MarshalError(
          'STORE_ERROR',
          `${event.type} event for run ${event.runId}, which does not exist`,
        );
      }
      run = { environment: row.environment, at: event.at };
      runs.set(event.runId, run);
    }
    run.at = Math.max(run.at, event.at);
    return run;
  }

  private project(
    event: NewEvent,
    runs: Map<number, { environment: string; at: number }>,
    created?: CreatedPlan,
  ): void {
    if (event.type === 'run.created') {
      // Runs are created only through createRun, which hands over the plan stored beside the event.
      if (created === undefined)
        throw new MarshalError('STORE_ERROR', 'a run.created event needs its plan: use createRun');
      const r = createdRun(event, created.plan);
      this.sql
        .get(INSERT_RUN_SQL)
        .run(
          r.id,
          r.environment,
          r.kind,
          r.state,
          r.actor,
          r.reason,
          r.configDigest,
          JSON.stringify(changesOf(created.plan)),
          JSON.stringify(created.plan.unchanged),
          r.createdAt,
          r.updatedAt,
        );
      this.sql.get('INSERT INTO run_plans (run_id, plan) VALUES (?, ?)').run(r.id, created.planJson);
      return;
    }
    const run = this.runOf(event, runs);
    const patch = runPatch(event);
    if (patch.state !== undefined) {
      this.sql
        .get('UPDATE runs SET state = ?, ended_at = ?, error = ? WHERE id = ?')
        .run(
          patch.state,
          patch.endedAt ?? null,
          patch.error ? JSON.stringify(patch.error) : null,
          event.runId,
        );
    }
    if (isStepEvent(event)) {
      const row = this.sql
        .get<StepRow>(`SELECT ${STEP_COLUMNS} FROM steps WHERE run_id = ? AND step_id = ?`)
        .get(event.runId, event.stepId ?? null);
      const step = nextStep(row ? toStep(row) : undefined, event);
      this.sql.get(UPSERT_STEP_SQL).run(...stepParams(step));
    }
    const change = targetChangeOf(event);
    if (change !== undefined) {
      const target = changedTarget(event, change, run.environment);
      if (target === null) {
        this.sql
          .get('DELETE FROM targets WHERE environment = ? AND service = ? AND target = ?')
          .run(run.environment, change.service, change.target);
      } else {
        this.sql
          .get(UPSERT_TARGET_SQL)
          .run(
            target.environment,
            target.service,
            target.target,
            target.version,
            target.previous,
            target.healthy ? 1 : 0,
            target.slot,
            target.runId,
            target.updatedAt,
          );
      }
    }
  }
}
