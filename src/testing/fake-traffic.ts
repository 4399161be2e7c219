/** A Traffic for engine tests: routers that record the weights they are given, scripted analyses. */
import type { StepIO } from '../model/provider.js';
import type {
  AnalysisProgress,
  AnalysisResult,
  Backend,
  Router,
  Traffic,
  Verdict,
} from '../model/traffic.js';

export class FakeTraffic implements Traffic {
  /** Every apply, as `name=weight` pairs sorted by name. */
  readonly applied: string[][] = [];
  /** Where each backend the routers were given is reached, by backend name (`blue-h1` → `127.0.0.1`). */
  readonly addresses = new Map<string, string>();
  /** Analyses run, by name, in order. */
  readonly analyses: string[] = [];

  /** Called before each router apply with its weights: may throw, or wait (as a stuck router does). */
  onApply?: (weights: string[], signal: AbortSignal) => Promise<void>;
  /** Called before each analysis: may throw, or wait. */
  onAnalyze?: (name: string, signal: AbortSignal) => Promise<void>;

  /** verdicts[name] is consumed in order; missing means `passed`. */
  constructor(private readonly verdicts: Record<string, Verdict[]> = {}) {}

  router(): Router {
    return {
      apply: async (backends: readonly Backend[], io: StepIO) => {
        const weights = backends.map((b) => `${b.name}=${b.weight}`).sort();
        await this.onApply?.(weights, io.signal);
        this.applied.push(weights);
        for (const b of backends) this.addresses.set(b.name, b.address);
      },
      current: async () => null,
    };
  }

  async analyze(
    name: string,
    _spec: unknown,
    io: StepIO,
    progress: AnalysisProgress,
  ): Promise<AnalysisResult> {
    await this.onAnalyze?.(name, io.signal);
    this.analyses.push(name);
    const verdict = this.verdicts[name]?.shift() ?? 'passed';
    progress.onMeasurement({
      at: Date.now(),
      value: verdict === 'passed' ? 0.01 : 0.2,
      outcome: verdict === 'passed' ? 'success' : 'failure',
    });
    return {
      verdict,
      message: verdict === 'failed' ? 'failed (1) > failureLimit (0)' : `${verdict} (scripted)`,
      measurements: [],
    };
  }
}
