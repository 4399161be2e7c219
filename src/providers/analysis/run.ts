/**
 * The measurement loop: wait `initialDelay`, then measure every `interval`
 * until a verdict is reached. A bad measurement is an outcome and a bad
 * analysis a verdict; the only thing thrown is the step's abort reason.
 */
import type { StepIO } from '../../model/provider.js';
import type { AnalysisConfig } from '../../model/schema-delivery.js';
import type { AnalysisResult, Measurement } from '../../model/traffic.js';
import { abortError, sleep as realSleep, type Sleep, throwIfAborted } from '../abort.js';
import type { AnalysisCommandRunner } from './command.js';
import { type Measure, prepareMeasure } from './measure.js';
import { formatValue } from './reading.js';
import { assess, type Decision, dryRunResult, emptyTally, type Limits, record } from './verdict.js';

/** What {@link runAnalysis} and {@link measureLoop} accept besides the analysis itself. */
export interface AnalysisOptions {
  /** Abortable sleep (tests pass an instant one). */
  sleep?: Sleep;
  /** Clock for measurement times and interval keeping; default Date.now. */
  now?: () => number;
  /**
   * Called with every measurement as soon as it is taken (to store it, stream it…), and awaited;
   * what it throws ends the analysis with that error.
   */
  onMeasurement?(measurement: Measurement): void | Promise<void>;
  /** Runs `command` analyses; default `/bin/sh -c` on this machine. */
  runCommand?: AnalysisCommandRunner;
  /**
   * Measurements taken before (a resumed run's), oldest first: they count, and the next one is
   * taken an `interval` after the last of them, with no second `initialDelay`.
   */
  taken?: readonly Measurement[];
}

/** The timing and limits {@link measureLoop} needs. */
export interface LoopSpec extends Limits {
  interval: number;
  initialDelay: number;
  dryRun: boolean;
}

/**
 * Runs the analysis `name` (`spec` fully rendered: no templates left) and
 * returns its verdict with every measurement. Never throws for a bad
 * measurement or a malformed analysis (those are verdicts: `error (cannot
 * measure): …` for an analysis that cannot measure as written); throws only when `io.signal`
 * aborts, with its reason when that is a MarshalError.
 */
export async function runAnalysis(
  name: string,
  spec: AnalysisConfig,
  io: StepIO,
  options: AnalysisOptions = {},
): Promise<AnalysisResult> {
  throwIfAborted(io.signal);
  let measure: Measure;
  try {
    measure = prepareMeasure(spec, options.runCommand);
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    return conclude(
      name,
      { verdict: 'error', message: `error (cannot measure): ${why}` },
      [],
      spec.dryRun,
      io,
    );
  }
  return measureLoop(name, spec, measure, io, options);
}

/**
 * The loop behind {@link runAnalysis}, over any {@link Measure}: measurements
 * start every `interval` (a slow one does not stretch the period), and the
 * loop stops as soon as a verdict is reached.
 */
export async function measureLoop(
  name: string,
  spec: LoopSpec,
  measure: Measure,
  io: StepIO,
  options: AnalysisOptions = {},
): Promise<AnalysisResult> {
  const sleep = options.sleep ?? realSleep;
  const now = options.now ?? Date.now;
  const { signal } = io;
  throwIfAborted(signal);
  const tally = emptyTally();
  const measurements = [...(options.taken ?? [])];
  for (const m of measurements) record(tally, m);
  const last = measurements.at(-1);
  if (last === undefined) {
    if (spec.initialDelay > 0) await sleep(spec.initialDelay, signal);
  } else {
    // Killed between the deciding measurement and the step's outcome: the verdict stands as taken.
    const decision = assess(tally, spec);
    if (decision !== null) return conclude(name, decision, measurements, spec.dryRun, io);
    await sleep(Math.max(0, spec.interval - (now() - last.at)), signal);
  }
  for (;;) {
    throwIfAborted(signal);
    const at = now();
    const judged = await measureSafely(measure, signal);
    const measurement: Measurement = { at, ...judged };
    measurements.push(measurement);
    record(tally, measurement);
    io.log(logLine(name, measurements.length, measurement), 'info');
    await options.onMeasurement?.(measurement);
    const decision = assess(tally, spec);
    if (decision !== null) return conclude(name, decision, measurements, spec.dryRun, io);
    await sleep(Math.max(0, spec.interval - (now() - at)), signal);
  }
}

/** A measure that throws anything but the abort reason is a bug in it, but still only an errored measurement. */
async function measureSafely(measure: Measure, signal: AbortSignal): Promise<Omit<Measurement, 'at'>> {
  try {
    const judged = await measure(signal);
    throwIfAborted(signal);
    return judged;
  } catch (err) {
    if (signal.aborted) throw abortError(signal);
    const message = err instanceof Error ? err.message : String(err);
    return { value: null, outcome: 'error', message };
  }
}

function conclude(
  name: string,
  decision: Decision,
  measurements: Measurement[],
  dryRun: boolean,
  io: StepIO,
): AnalysisResult {
  const result = dryRun ? dryRunResult(decision, measurements) : { ...decision, measurements };
  io.log(`analysis ${name}: ${result.message}`, 'info');
  return result;
}

/** `analysis error-rate #3: 0.2 → failure (result < 0.05 is false)`, kept to one short line. */
function logLine(name: string, n: number, m: Measurement): string {
  const why =
    m.message === undefined ? '' : ` (${m.message.length > 120 ? `${m.message.slice(0, 120)}…` : m.message})`;
  return `analysis ${name} #${n}: ${formatValue(m.value)} → ${m.outcome}${why}`;
}
