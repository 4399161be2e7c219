/**
 * Health checks that count only while the service's own process lives: a
 * check that passes against someone else's listener, or against a process
 * that dies a moment later, must not pass the step. The process is polled
 * while the checks run (its end stops them at once), and after they pass it
 * must stay alive for a settle window.
 */
import { formatDuration } from '../../model/duration.js';
import type { MarshalError } from '../../model/errors.js';
import type { StepIO } from '../../model/provider.js';
import { abortError, sleep as realSleep, type Sleep } from '../abort.js';

export interface WatchedProcess {
  /** Null while the process lives; once it has ended, the error the step fails with. */
  ended(): Promise<MarshalError | null>;
  /** How long it must stay alive after the checks pass. */
  settleMs: number;
  /** Time between two looks at the process while the checks run. */
  pollMs: number;
}

/** Runs `checks` (given a signal that aborts when the process ends), then settles. */
export async function whileAlive(
  checks: (io: StepIO) => Promise<void>,
  io: StepIO,
  watched: WatchedProcess,
  sleep: Sleep = realSleep,
): Promise<void> {
  const before = await watched.ended();
  if (before !== null) throw before;
  const stop = new AbortController();
  const onStep = () => stop.abort(io.signal.reason);
  io.signal.addEventListener('abort', onStep, { once: true });
  let ended: MarshalError | null = null;
  const poll = (async () => {
    while (!stop.signal.aborted) {
      try {
        await sleep(watched.pollMs, stop.signal);
      } catch {
        return;
      }
      ended = await watched.ended();
      if (ended !== null) stop.abort(ended);
    }
  })();
  try {
    await checks({ signal: stop.signal, log: io.log });
  } catch (err) {
    if (ended !== null) throw ended;
    throw err;
  } finally {
    io.signal.removeEventListener('abort', onStep);
    if (!stop.signal.aborted) stop.abort();
    await poll;
  }
  if (ended !== null) throw ended;
  if (io.signal.aborted) throw abortError(io.signal);
  if (watched.settleMs <= 0) return;
  await sleep(watched.settleMs, io.signal);
  const after = await watched.ended();
  if (after !== null) throw after;
  io.log(`process still running ${formatDuration(watched.settleMs)} after the checks passed`, 'info');
}
