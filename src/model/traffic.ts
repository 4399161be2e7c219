/**
 * Traffic routers and metric analyses: the interfaces progressive delivery
 * (blue-green, canary) is built on. Implementations live in providers/routers
 * and providers/analysis; the engine only sees these.
 */
import type { Measurement, Verdict } from './measurement.js';
import type { StepIO } from './provider.js';
import type { AnalysisConfig, RouterConfig } from './schema-delivery.js';

/** One server behind a router, with its share of traffic. */
export interface Backend {
  /** Stable name within the router: `<colour>-<host>`, e.g. `green-web1`. */
  name: string;
  address: string;
  port: number;
  /** Relative weight 0–256; 0 takes the server out of rotation (drained, not deleted). */
  weight: number;
}

export interface Router {
  /**
   * Renders the router's configuration for `backends`, validates it (nginx -t, haproxy -c),
   * applies it without dropping requests, then verifies the router serves these weights.
   * Throws a MarshalError (PROVIDER_ERROR) when any of that fails; the old configuration
   * stays in force then.
   */
  apply(backends: readonly Backend[], io: StepIO): Promise<void>;
  /** The weights the router serves now, when it can tell (haproxy can; nginx cannot). */
  current(io: StepIO): Promise<Backend[] | null>;
}

/** What the engine needs for progressive delivery; the composition root (cli/) builds it from providers/. */
export interface Traffic {
  /** The router `name` of the environment, from its configuration (paths relative to `projectDir`). */
  router(name: string, config: RouterConfig, projectDir: string): Router;
  /**
   * Runs an analysis whose templates are rendered, counting on from the measurements it already
   * `taken` (a resumed run's); new ones are reported as they come.
   */
  analyze(
    name: string,
    spec: AnalysisConfig,
    io: StepIO,
    progress: AnalysisProgress,
  ): Promise<AnalysisResult>;
}

export interface AnalysisProgress {
  /** Measurements taken before, oldest first: they count towards the verdict. */
  taken: readonly Measurement[];
  onMeasurement(measurement: Measurement): void;
}

export interface AnalysisResult {
  verdict: Verdict;
  /** E.g. `failed (3) > failureLimit (2)`, or `passed: 5 of 5 measurements succeeded`. */
  message: string;
  measurements: Measurement[];
}

export type { Measurement, Verdict } from './measurement.js';
