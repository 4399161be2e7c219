/**
 * The `simulate` provider: every action only waits, then succeeds. For
 * rehearsing a plan's shape and timing (and for the scale benchmark)
 * without touching any target. MARSHAL_SIMULATE_DELAY_MS sets the wait
 * (default 1 ms).
 */
import type { Action, Provider, StepIO, TargetContext } from '../../model/provider.js';
import { sleep } from '../abort.js';

export class SimulateProvider implements Provider {
  readonly name = 'simulate';
  private readonly delayMs: number;

  constructor(delayMs = Number(process.env.MARSHAL_SIMULATE_DELAY_MS ?? 1)) {
    this.delayMs = Number.isFinite(delayMs) && delayMs >= 0 ? delayMs : 1;
  }

  async isDone(_action: Action, _target: TargetContext, _io: StepIO): Promise<boolean> {
    return false;
  }

  async apply(_action: Action, _target: TargetContext, io: StepIO): Promise<void> {
    await sleep(this.delayMs, io.signal);
  }

  async close(): Promise<void> {}
}
