/**
 * What a bug does to a run. The engine's own code can fail (a stack overflow on a fleet larger
 * than anyone tried, a plan it cannot walk): that error is no step's failure, so nothing else
 * records it.
 */
import { MarshalError, type SerializedError, toMarshalError } from '../model/errors.js';
import type { RunState } from '../model/run.js';

/**
 * A bug — an INTERNAL error, or anything thrown that is no MarshalError — ends the run as
 * `failed`, the error stored on it (`show` displays it): a resume would only meet the same bug
 * again, each time. Nothing is rolled back: the code that failed may be code the rollback needs,
 * so the targets stay as the run left them (a target it was changing stays unhealthy, and the
 * next deploy does it again), as with --no-rollback. Any other error (the store's, a lost lock)
 * leaves the run resumable, as before. Returns the error to throw.
 */
export async function endOnBug(
  error: unknown,
  runId: number,
  state: (next: RunState, error?: SerializedError, note?: string) => Promise<void>,
): Promise<unknown> {
  const bug = toMarshalError(error);
  if (bug.code !== 'INTERNAL') return error;
  try {
    await state(
      'failed',
      bug.toJSON(),
      'stopped by an internal error (a bug in Marshal); nothing was rolled back',
    );
  } catch {
    // The store refused too: the run stays as it was, and the bug is still what is reported.
    return bug;
  }
  return new MarshalError('INTERNAL', bug.message, {
    cause: bug.cause ?? bug,
    hint: `this is a bug in Marshal; please report it with --verbose output. Run #${runId} is recorded as failed, not rolled back: \`marshal show ${runId}\`, then deploy again or \`marshal rollback\``,
  });
}
