/**
 * Step ids: how a run's steps are named in the store (events, steps, logs) and on screen
 * (`show`, `logs --step`, progress). Users keep them in their stores and scripts, so the text is
 * a protocol, formatted and parsed here and nowhere else:
 *
 *   api/h1/start               a target's step: <service>/<host>/<phase>
 *   canary/-/weight-10         a service-level step of blue-green or canary: no host, `-`
 *   rollback/db/db-1/restore   the same, in a rollback
 *
 * The parse is unambiguous: no service is named `rollback` (the schema refuses it) and no host
 * `-` (names start and end with a letter or digit).
 */

export interface StepRef {
  service: string;
  /** The target's host; null for a service-level step. */
  target: string | null;
  /** A phase id (`upload`, `run:migrate`, `health`) or a service-level step id (`weight-10`). */
  phase: string;
  rollback: boolean;
}

const ROLLBACK = 'rollback/';
/** The host segment of a service-level step. */
const NO_TARGET = '-';

export function formatStepRef(ref: StepRef): string {
  return `${ref.rollback ? ROLLBACK : ''}${ref.service}/${ref.target ?? NO_TARGET}/${ref.phase}`;
}

/** The StepRef of a step id; undefined when it is not one. */
export function parseStepRef(id: string): StepRef | undefined {
  const rollback = id.startsWith(ROLLBACK);
  const start = rollback ? ROLLBACK.length : 0;
  const first = id.indexOf('/', start);
  const second = first < 0 ? -1 : id.indexOf('/', first + 1);
  if (first <= start || second <= first + 1 || second === id.length - 1) return undefined;
  const target = id.slice(first + 1, second);
  return {
    service: id.slice(start, first),
    target: target === NO_TARGET ? null : target,
    phase: id.slice(second + 1),
    rollback,
  };
}

/** Whether a step id is a rollback's. */
export function isRollbackStep(id: string): boolean {
  return id.startsWith(ROLLBACK);
}

/** A target as summaries name it and `logs --step` selects it: `api/h1`. */
export function targetPath(service: string, target: string): string {
  return `${service}/${target}`;
}

/**
 * The target a step belongs to, as {@link targetPath} names it; `api/-` for a service-level step
 * (what `logs --step api/-` selects).
 */
export function targetPathOf(id: string): string | undefined {
  const ref = parseStepRef(id);
  return ref === undefined ? undefined : targetPath(ref.service, ref.target ?? NO_TARGET);
}

/** The group a step is summarised under: its service, apart in a rollback (`api`, `rollback/api`). */
export function servicePathOf(id: string): string | undefined {
  const ref = parseStepRef(id);
  return ref === undefined ? undefined : `${ref.rollback ? ROLLBACK : ''}${ref.service}`;
}

/** A step within its service's row of the live view: `h1/start`, `-/weight-10`. */
export function withinService(id: string): string {
  const ref = parseStepRef(id);
  return ref === undefined ? id : `${ref.target ?? NO_TARGET}/${ref.phase}`;
}

/**
 * `logs --step X`: the step X and every step under the path X — a service (`api`) or a target
 * (`api/h1`), its rollback steps included (`rollback/api/…`). Paths match whole segments (`api`
 * is not a prefix of `api2/…`, nor `api/h1` of `api/h10/…`), and a trailing `/` changes nothing
 * (`api/`, `api/h1/upload/`).
 */
export function stepPathFilter(path: string): (id: string) => boolean {
  const whole = path.replace(/\/+$/, '');
  const under = `${whole}/`;
  return (id) => id === whole || id.startsWith(under) || id.startsWith(`${ROLLBACK}${under}`);
}

/**
 * The ids of a service's deploy steps, as a range in binary order: `[from, to)`. The store reads
 * a service's steps as a range of its primary key (`'0'` is the character after `'/'`).
 */
export function deployStepRange(service: string): [from: string, to: string] {
  return [`${service}/`, `${service}0`];
}
