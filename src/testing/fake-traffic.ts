/** A Traffic for engine tests: routers that record the weights they are given, scripted analyses. */
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

  /** verdicts[name] is consumed in order; missing means `passed`. */
  constructor(private readonly verdicts: Record<string, Verdict[]> = {}) {}

  router(): Router {
    return {
      apply: async (backends: readonly Backend[]) => {
        this.applied.push(backends.map((b) => `${b.name}=${b.weight}`).sort());
        for (const b of backends) this.addresses.set(b.name, b.address);
      },
      current: async () => null,
    };
  }

  async analyze(
    name: string,
    _spec: unknown,
    _io: unknown,
    progress: AnalysisProgress,
  ): Promise<AnalysisResult> {
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
