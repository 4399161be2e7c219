/** The read side of the SQLite store: plain queries over the projections and the log. */
import type {
  RunRecord,
  RunSpan,
  RunSummary,
  StepRecord,
  StepState,
  StoredEvent,
  StoredLogLine,
} from '../../model/run.js';
import { deployStepRange } from '../../model/step-ref.js';
import type { ChainReport, EventQuery, RunQuery } from '../../model/store.js';
import { type ChainRow, verifyPlans, verifyRows } from '../chain.js';
import {
  ALREADY_DONE_NOTE,
  mediansByPhase,
  PHASE_HISTORY_RUNS,
  PHASE_SAMPLES_PER_SERVICE,
} from '../projection.js';
import { runSpans, type SpanMark } from '../spans.js';
import {
  type EventRow,
  type LogRow,
  type RunRow,
  type RunSummaryRow,
  STEP_COLUMNS,
  type Statements,
  type StepRow,
  toEvent,
  toLog,
  toRun,
  toRunSummary,
  toStep,
} from './rows.js';

/** A run with its plan, which lives in its own table. */
const RUN_SELECT = 'SELECT r.*, p.plan FROM runs r JOIN run_plans p ON p.run_id = r.id';
/** A run without its plan: its versions are columns of its own (RunSummary). */
const SUMMARY_SELECT = 'SELECT r.* FROM runs r';

/** SQLite reads a negative LIMIT as "no limit". */
const limitOf = (limit: number | undefined): number => limit ?? -1;

function where(conditions: string[]): string {
  return conditions.length === 0 ? '' : `WHERE ${conditions.join(' AND ')}`;
}

export function getRun(sql: Statements, id: number): RunRecord | undefined {
  const row = sql.get<RunRow>(`${RUN_SELECT} WHERE r.id = ?`).get(id);
  return row ? toRun(row) : undefined;
}

export function getRunSummary(sql: Statements, id: number): RunSummary | undefined {
  const row = sql.get<RunSummaryRow>(`${SUMMARY_SELECT} WHERE r.id = ?`).get(id);
  return row ? toRunSummary(row) : undefined;
}

export function listRuns(sql: Statements, query: RunQuery = {}): RunSummary[] {
  const conditions: string[] = [];
  const params: unknown[] = [];
  if (query.environment !== undefined) {
    conditions.push('r.environment = ?');
    params.push(query.environment);
  }
  if (query.states !== undefined) {
    // One statement for any number of states.
    conditions.push('r.state IN (SELECT value FROM json_each(?))');
    params.push(JSON.stringify(query.states));
  }
  const text = `${SUMMARY_SELECT} ${where(conditions)} ORDER BY r.id DESC LIMIT ?`;
  return sql
    .get<RunSummaryRow>(text)
    .all(...params, limitOf(query.limit))
    .map(toRunSummary);
}

export function getSteps(sql: Statements, runId: number, states?: StepState[]): StepRecord[] {
  const filter = states === undefined ? '' : 'AND state IN (SELECT value FROM json_each(?))';
  const params: unknown[] = states === undefined ? [runId] : [runId, JSON.stringify(states)];
  return sql
    .get<StepRow>(
      `SELECT ${STEP_COLUMNS} FROM steps WHERE run_id = ? ${filter}
       ORDER BY started_at IS NULL, started_at, step_id`,
    )
    .all(...params)
    .map(toStep);
}

/**
 * Run-level events, read through the partial index events_run_state (schema 3): a run of 200,000
 * targets has a million events and a handful of these.
 */
const SPAN_MARKS_SQL = `SELECT seq, at, type, data ->> '$.state' AS state, data ->> '$.note' AS note
  FROM events WHERE run_id = ? AND type IN ('run.created', 'run.state') ORDER BY seq`;

/** The run's spans (RunSpan): its marks, and the time of its last event before each that needs it. */
export function getRunSpans(sql: Statements, runId: number): RunSpan[] {
  const marks = sql.get<SpanMark>(SPAN_MARKS_SQL).all(runId);
  if (marks.length === 0) return [];
  const before = sql.get<{ at: number }>(
    'SELECT at FROM events WHERE run_id = ? AND seq < ? ORDER BY seq DESC LIMIT 1',
  );
  const last = sql.get<{ at: number }>('SELECT at FROM events WHERE run_id = ? ORDER BY seq DESC LIMIT 1');
  return runSpans(marks, (seq) =>
    seq === undefined ? (last.get(runId)?.at ?? 0) : (before.get(runId, seq)?.at ?? 0),
  );
}

export function countSteps(sql: Statements, runId: number): Partial<Record<StepState, number>> {
  const rows = sql
    .get<{ state: StepState; n: number }>(
      'SELECT state, COUNT(*) AS n FROM steps WHERE run_id = ? GROUP BY state',
    )
    .all(runId);
  return Object.fromEntries(rows.map((r) => [r.state, r.n]));
}

export function getEvents(sql: Statements, query: EventQuery): StoredEvent[] {
  const conditions = ['seq > ?'];
  const params: unknown[] = [query.afterSeq ?? 0];
  if (query.runId !== undefined) {
    conditions.push('run_id = ?');
    params.push(query.runId);
  }
  if (query.type !== undefined) {
    conditions.push('type = ?');
    params.push(query.type);
  }
  return sql
    .get<EventRow>(`SELECT * FROM events ${where(conditions)} ORDER BY seq LIMIT ?`)
    .all(...params, limitOf(query.limit))
    .map(toEvent);
}

export function getLogs(
  sql: Statements,
  query: { runId: number; stepId?: string; afterId?: number; limit?: number },
): StoredLogLine[] {
  const conditions = ['run_id = ?', 'id > ?'];
  const params: unknown[] = [query.runId, query.afterId ?? 0];
  if (query.stepId !== undefined) {
    conditions.push('step_id = ?');
    params.push(query.stepId);
  }
  return sql
    .get<LogRow>(`SELECT * FROM logs ${where(conditions)} ORDER BY id LIMIT ?`)
    .all(...params, limitOf(query.limit))
    .map(toLog);
}

/**
 * Duration samples of one service in one run: succeeded steps `<service>/<host>/<phase>` that
 * did the work, in step-id order — a range of the primary key, read no further than the limit
 * ('0' follows '/'). Mirrors `isDurationSample`.
 */
const SERVICE_SAMPLES_SQL = `SELECT step_id AS stepId, duration_ms AS durationMs FROM steps
  WHERE run_id = ? AND step_id >= ? AND step_id < ?
  AND state = 'succeeded' AND duration_ms IS NOT NULL AND note IS NOT '${ALREADY_DONE_NOTE}'
  ORDER BY step_id LIMIT ?`;

export function phaseDurations(
  sql: Statements,
  environment: string,
  services: readonly string[],
): Record<string, Record<string, number>> {
  const runs = sql
    .get<number>('SELECT id FROM runs WHERE environment = ? ORDER BY id DESC LIMIT ?')
    .pluck()
    .all(environment, PHASE_HISTORY_RUNS) as number[];
  const query = sql.get<{ stepId: string; durationMs: number }>(SERVICE_SAMPLES_SQL);
  const samples: { stepId: string; durationMs: number }[] = [];
  for (const service of services) {
    let wanted = PHASE_SAMPLES_PER_SERVICE;
    for (const run of runs) {
      const rows = query.all(run, ...deployStepRange(service), wanted);
      for (const row of rows) samples.push(row);
      wanted -= rows.length;
      if (wanted <= 0) break;
    }
  }
  return mediansByPhase(samples);
}

/** Events read per query by verifyChain: a page costs one native call, a row of iterate() one each. */
const VERIFY_PAGE = 10_000;

type ChainCells = [number, number, string | null, string, number, string, string, string];

/** Walks the whole log in seq order (a page at a time, not loaded whole) inside one read snapshot. */
export function verifyChain(sql: Statements): ChainReport {
  return sql.db.transaction(() => {
    const head =
      sql.get<{ seq: number }>("SELECT seq FROM sqlite_sequence WHERE name = 'events'").get()?.seq ?? 0;
    // The first page has no lower bound: a forged row at seq 0 or below must be read (and reported).
    // raw() (arrays) stays set on the cached statements: no other query has their texts.
    const columns = 'SELECT seq, run_id, step_id, type, at, data, prev_hash, hash FROM events';
    const first = sql.get(`${columns} ORDER BY seq LIMIT ${VERIFY_PAGE}`).raw();
    const next = sql.get(`${columns} WHERE seq > ? ORDER BY seq LIMIT ${VERIFY_PAGE}`).raw();
    const chainRows = (function* (): Generator<ChainRow> {
      let after: number | undefined;
      for (;;) {
        const rows = (after === undefined ? first.all() : next.all(after)) as ChainCells[];
        for (const [seq, runId, stepId, type, at, dataJson, prevHash, hash] of rows)
          yield { seq, runId, stepId, type, at, dataJson, prevHash, hash };
        const last = rows[rows.length - 1];
        if (last === undefined || rows.length < VERIFY_PAGE) return;
        after = last[0];
      }
    })();
    const result = verifyRows(chainRows, head);
    const created = sql
      .get<{ seq: number; run_id: number; data: string }>(
        "SELECT seq, run_id, data FROM events WHERE type = 'run.created' ORDER BY seq",
      )
      .all()
      .map((r) => ({ seq: r.seq, runId: r.run_id, dataJson: r.data }));
    const storedOf = sql.get<{ plan: string; changes: string | null; unchanged: string | null }>(
      `SELECT p.plan, r.changes, r.unchanged
       FROM run_plans p LEFT JOIN runs r ON r.id = p.run_id WHERE p.run_id = ?`,
    );
    const problem =
      result.problem ??
      verifyPlans(created, (id) => {
        const row = storedOf.get(id);
        if (row === undefined) return undefined;
        const versions =
          row.changes === null || row.unchanged === null
            ? null
            : { changes: row.changes, unchanged: row.unchanged };
        return { plan: row.plan, versions };
      });
    return { ok: problem === undefined, events: result.events, ...(problem ? { problem } : {}) };
  })();
}
