/**
 * A scripted Provider for engine tests. Each call is keyed by
 * `<service>/<host>/<action kind>`; a script says how that key behaves
 * (fail N times, hang until aborted, take some time). Everything it did is
 * recorded, in order, with how many ran at once.
 */
import { MarshalError } from '../model/errors.js';
import type { Action, Provider, StepIO, TargetContext } from '../model/provider.js';

export interface Script {
  /** Fail this many applies first (then succeed). Infinity: always fail. */
  failTimes?: number;
  /** Error code to fail with. */
  code?: 'COMMAND_FAILED' | 'HEALTH_CHECK_FAILED' | 'PROVIDER_ERROR';
  /** Exit status reported with COMMAND_FAILED. */
  exitCode?: number;
  /** Never finish on its own: wait for the signal. */
  hang?: boolean;
  /** Milliseconds each apply takes. */
  delayMs?: number;
  /** Each apply finishes only once this has settled too (or the step is aborted). */
  until?: Promise<unknown>;
}

export interface Call {
  key: string;
  action: Action;
  phase: 'isDone' | 'apply';
  start: number;
  end: number;
  outcome: 'ok' | 'failed' | 'aborted';
}

function keyOf(action: Action, target: TargetContext): string {
  return `${target.service}/${target.host.name}/${action.kind}`;
}

function wait(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const timer = ms === Number.POSITIVE_INFINITY ? undefined : setTimeout(resolve, ms);
    signal.addEventListener(
      'abort',
      () => {
        if (timer) clearTimeout(timer);
        reject(signal.reason);
      },
      { once: true },
    );
  });
}

export class FakeProvider implements Provider {
  readonly name = 'fake';
  readonly calls: Call[] = [];
  /** Keys whose effect is in place (applied successfully), for isDone. */
  readonly done = new Set<string>();
  private readonly failures = new Map<string, number>();
  private running = 0;
  peak = 0;
  private seq = 0;

  constructor(private readonly scripts: Record<string, Script> = {}) {}

  /** Applies (not status checks) in the order they started. */
  applied(): string[] {
    return this.calls.filter((c) => c.phase === 'apply').map((c) => c.key);
  }

  async isDone(action: Action, target: TargetContext): Promise<boolean> {
    const key = keyOf(action, target);
    const done =
      action.kind !== 'exec' && action.kind !== 'health' && this.done.has(`${key}@${versionOf(action)}`);
    const t = this.seq++;
    this.calls.push({ key, action, phase: 'isDone', start: t, end: t, outcome: 'ok' });
    return done;
  }

  async apply(action: Action, target: TargetContext, io: StepIO): Promise<void> {
    const key = keyOf(action, target);
    const script = this.scripts[key] ?? {};
    const call: Call = { key, action, phase: 'apply', start: this.seq++, end: -1, outcome: 'ok' };
    this.calls.push(call);
    this.running++;
    this.peak = Math.max(this.peak, this.running);
    try {
      io.log(`apply ${key}`);
      await wait(script.hang ? Number.POSITIVE_INFINITY : (script.delayMs ?? 1), io.signal);
      if (script.until) await Promise.race([script.until, wait(Number.POSITIVE_INFINITY, io.signal)]);
      const failed = this.failures.get(key) ?? 0;
      if (failed < (script.failTimes ?? 0)) {
        this.failures.set(key, failed + 1);
        call.outcome = 'failed';
        throw new MarshalError(script.code ?? 'COMMAND_FAILED', `${key} failed (scripted)`, {
          details: script.exitCode === undefined ? {} : { exitCode: script.exitCode },
        });
      }
      this.done.add(`${key}@${versionOf(action)}`);
    } catch (error) {
      if (io.signal.aborted) {
        call.outcome = 'aborted';
        throw io.signal.reason;
      }
      throw error;
    } finally {
      call.end = this.seq++;
      this.running--;
    }
  }

  async close(): Promise<void> {}
}

function versionOf(action: Action): string {
  switch (action.kind) {
    case 'exec':
    case 'upload':
    case 'switch':
      return action.version;
    case 'start':
      return action.process.version;
    case 'restore':
      return String(action.version);
    case 'health':
      return '';
  }
}
