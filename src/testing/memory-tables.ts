/**
 * The tables behind MemoryStore and the reads over them: the stored event row,
 * the keys of the step and target maps, the copy every record goes through (as
 * if it had been through a database), and the filtering, ordering and paging
 * the SQL stores do in their SELECTs. Plain functions over the tables, so
 * memory-store.ts keeps the state and the write path.
 */
import type {
  RunRecord,
  StepRecord,
  StoredEvent,
  StoredLogLine,
  TargetGroup,
  TargetState,
} from '../model/run.js';
import type { EventQuery, RunQuery } from '../model/store.js';
import type { ChainRow } from '../store/chain.js';
import {
  compareText,
  isDurationSample,
  mediansByPhase,
  PHASE_HISTORY_RUNS,
  PHASE_SAMPLES_PER_SERVICE,
} from '../store/projection.js';

/** An event as stored: its chain fields plus the parsed data handed out by getEvents. */
export interface StoredRow extends ChainRow {
  data: unknown;
}

export const clone = <T>(value: T): T => structuredClone(value);
export const stepKey = (runId: number, stepId: string) => `${runId}\u0000${stepId}`;
export const targetKey = (t: { environment: string; service: string; target: string }) =>
  `${t.environment}\u0000${t.service}\u0000${t.target}`;

/** The first `limit` rows (all of them without a limit, none for a negative one), as SQL's LIMIT. */
function limited<T>(rows: T[], limit: number | undefined): T[] {
  return limit === undefined ? rows : rows.slice(0, Math.max(0, limit));
}

/** listRuns: newest first, filtered by environment and states. */
export function selectRuns(runs: Iterable<RunRecord>, query: RunQuery): RunRecord[] {
  const rows = [...runs]
    .filter((r) => query.environment === undefined || r.environment === query.environment)
    .filter((r) => query.states === undefined || query.states.includes(r.state))
    .sort((a, b) => b.id - a.id);
  return clone(limited(rows, query.limit));
}

/** getEvents: rows after `afterSeq`, optionally of one run or type; stepId only where the event has one. */
export function selectEvents(events: readonly StoredRow[], query: EventQuery): StoredEvent[] {
  const after = query.afterSeq ?? 0;
  const rows = events.filter(
    (e) =>
      e.seq > after &&
      (query.runId === undefined || e.runId === query.runId) &&
      (query.type === undefined || e.type === query.type),
  );
  return limited(rows, query.limit).map((r) => {
    const event = {
      seq: r.seq,
      runId: r.runId,
      type: r.type,
      at: r.at,
      data: clone(r.data),
    } as StoredEvent;
    if (r.stepId !== null) event.stepId = r.stepId;
    return Object.assign(event, { prevHash: r.prevHash, hash: r.hash });
  });
}

/** getLogs: one run's lines after `afterId`, optionally of one step. */
export function selectLogs(
  logs: readonly StoredLogLine[],
  query: { runId: number; stepId?: string; afterId?: number; limit?: number },
): StoredLogLine[] {
  const after = query.afterId ?? 0;
  const rows = logs.filter(
    (l) =>
      l.runId === query.runId && l.id > after && (query.stepId === undefined || l.stepId === query.stepId),
  );
  return clone(limited(rows, query.limit));
}

/** getTargets: optionally of one environment, ordered by environment, service and target. */
export function selectTargets(targets: Iterable<TargetState>, environment?: string): TargetState[] {
  const rows = [...targets].filter((t) => environment === undefined || t.environment === environment);
  return clone(rows.sort((a, b) => compareText(targetKey(a), targetKey(b))));
}

/** targetGroups over targets sorted by environment, service, target (as selectTargets gives them). */
export function groupTargets(sorted: readonly TargetState[], namedUpTo: number): TargetGroup[] {
  const groups = new Map<string, TargetGroup & { names: string[] }>();
  for (const t of sorted) {
    const key = JSON.stringify([t.environment, t.service, t.version, t.healthy]);
    const group = groups.get(key);
    if (group === undefined) {
      const { environment, service, version, healthy, runId, updatedAt } = t;
      const first = { environment, service, version, healthy, runId, updatedAt };
      groups.set(key, { ...first, count: 1, targets: null, names: [t.target] });
    } else {
      group.count++;
      group.names.push(t.target);
      group.runId = Math.max(group.runId, t.runId);
      group.updatedAt = Math.max(group.updatedAt, t.updatedAt);
    }
  }
  // Sorted input: groups come in the order of their first targets, as the SQL orders them.
  return [...groups.values()].map(({ names, ...g }) => ({
    ...g,
    targets: names.length <= namedUpTo ? names : null,
  }));
}

/**
 * phaseDurations: per service, samples from the environment's PHASE_HISTORY_RUNS newest runs,
 * newest run first and in step-id order, at most PHASE_SAMPLES_PER_SERVICE; their medians.
 */
export function phaseMedians(
  runs: Iterable<RunRecord>,
  steps: Iterable<StepRecord>,
  environment: string,
  services: readonly string[],
): Record<string, Record<string, number>> {
  const window = [...runs]
    .filter((r) => r.environment === environment)
    .map((r) => r.id)
    .sort((a, b) => b - a)
    .slice(0, PHASE_HISTORY_RUNS);
  const rank = new Map(window.map((id, i) => [id, i]));
  const ordered = [...steps]
    .filter((s) => rank.has(s.runId) && isDurationSample(s))
    .sort(
      (a, b) =>
        (rank.get(a.runId) as number) - (rank.get(b.runId) as number) || compareText(a.stepId, b.stepId),
    );
  const samples = services.flatMap((service) =>
    ordered
      .filter((s) => s.stepId.startsWith(`${service}/`))
      .slice(0, PHASE_SAMPLES_PER_SERVICE)
      .map((s) => ({ stepId: s.stepId, durationMs: s.durationMs as number })),
  );
  return mediansByPhase(samples);
}
