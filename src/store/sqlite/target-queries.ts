/**
 * The read side of the `targets` projection, in the three shapes its readers need: per service as
 * parallel arrays (planning), grouped by version and health (status, rollback), or one record per
 * target (`status --json`). A fleet has 200,000 targets: only the last reads them one by one.
 */
import type { LiveTargets, ServiceTargets, TargetGroup, TargetState } from '../../model/run.js';
import type { Statements } from './rows.js';

export function liveTargets(sql: Statements, environment: string): LiveTargets {
  // One row per service, its columns as JSON arrays built by SQLite: JSON.parse makes 10,000
  // strings far sooner than better-sqlite3 makes 10,000 rows. The four aggregates see the rows
  // in the same order, so the arrays line up.
  const rows = sql
    .get<{ service: string; targets: string; versions: string; healthy: string; slots: string }>(
      `SELECT service, json_group_array(target) AS targets, json_group_array(version) AS versions,
         json_group_array(healthy) AS healthy, json_group_array(slot) AS slots
       FROM targets WHERE environment = ? GROUP BY service`,
    )
    .all(environment);
  const live: LiveTargets = {};
  for (const r of rows) {
    live[r.service] = {
      targets: JSON.parse(r.targets) as string[],
      versions: JSON.parse(r.versions) as (string | null)[],
      healthy: (JSON.parse(r.healthy) as number[]).map((h) => h === 1),
      slots: JSON.parse(r.slots) as ServiceTargets['slots'],
    };
  }
  return live;
}

export function targetGroups(
  sql: Statements,
  environment: string | undefined,
  namedUpTo: number,
): TargetGroup[] {
  const rows = sql
    .get<{
      environment: string;
      service: string;
      version: string | null;
      healthy: number;
      count: number;
      targets: string | null;
      run_id: number;
      updated_at: number;
    }>(
      `SELECT environment, service, version, healthy, COUNT(*) AS count,
         CASE WHEN COUNT(*) <= ? THEN json_group_array(target ORDER BY target) END AS targets,
         MAX(run_id) AS run_id, MAX(updated_at) AS updated_at
       FROM targets ${environment === undefined ? '' : 'WHERE environment = ?'}
       GROUP BY environment, service, version, healthy
       ORDER BY environment, service, MIN(target)`,
    )
    .all(...(environment === undefined ? [namedUpTo] : [namedUpTo, environment]));
  return rows.map((r) => ({
    environment: r.environment,
    service: r.service,
    version: r.version,
    healthy: r.healthy === 1,
    count: r.count,
    targets: r.targets === null ? null : (JSON.parse(r.targets) as string[]),
    runId: r.run_id,
    updatedAt: r.updated_at,
  }));
}

/**
 * Every target, each a TargetState (`status --json`). Rows as arrays, not objects, and one copy of
 * each repeated text (a fleet's version is the same string on all its targets).
 */
export function getTargets(sql: Statements, environment?: string): TargetState[] {
  const text = `SELECT environment, service, target, version, previous, healthy, slot, run_id, updated_at
    FROM targets ${environment === undefined ? '' : 'WHERE environment = ?'}
    ORDER BY environment, service, target`;
  const params = environment === undefined ? [] : [environment];
  const texts = new Map<string, string>();
  const shared = <T extends string | null>(value: T): T => {
    if (value === null) return value;
    const known = texts.get(value);
    if (known !== undefined) return known as T;
    texts.set(value, value);
    return value;
  };
  // raw() stays set on the cached statement: no other query has this text.
  const rows = sql
    .get(text)
    .raw()
    .all(...params) as TargetCells[];
  return rows.map(([env, service, target, version, previous, healthy, slot, runId, updatedAt]) => ({
    environment: shared(env),
    service: shared(service),
    target,
    version: shared(version),
    previous: shared(previous),
    healthy: healthy === 1,
    slot: shared(slot),
    runId,
    updatedAt,
  }));
}

type TargetCells = [
  string,
  string,
  string,
  string,
  string | null,
  number,
  TargetState['slot'],
  number,
  number,
];
