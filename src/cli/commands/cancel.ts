import { hostname } from 'node:os';
import { MarshalError } from '../../model/errors.js';
import { cancelledByNote, isTerminalRunState, type NewEvent } from '../../model/run.js';
import { isAlive } from '../../providers/process.js';
import { identity, openProjectStore, parseRunRef, resolveRunId } from '../context.js';
import { type GlobalOptions, print, printJson } from '../output.js';

/**
 * Stops a run. A run executing in a live process on this host is sent
 * SIGINT (it stops cleanly, as with Ctrl-C); a run nobody is executing is
 * marked cancelled. Either way it stays resumable.
 */
export async function run(globals: GlobalOptions, ref: string): Promise<number> {
  const parsed = parseRunRef(ref);
  const store = await openProjectStore(globals, false);
  try {
    const runId = await resolveRunId(store, parsed);
    const record = await store.getRun(runId);
    if (record === undefined) throw new MarshalError('NOT_FOUND', `no run #${runId}`);
    if (isTerminalRunState(record.state)) {
      throw new MarshalError('STATE_CONFLICT', `run #${runId} has already ended (${record.state})`);
    }
    const lock = await store.getLock(record.environment);
    const owner = lock?.runId === runId ? lock : undefined;
    if (owner && owner.hostname === hostname() && isAlive(owner.pid)) {
      if (record.state === 'rolling_back') {
        throw new MarshalError(
          'STATE_CONFLICT',
          `run #${runId} is rolling back; a rollback cannot be cancelled`,
        );
      }
      process.kill(owner.pid, 'SIGINT');
      if (globals.json) printJson({ runId, signalled: owner.pid });
      else
        print(`asked run #${runId} (pid ${owner.pid}) to stop; it stays resumable: marshal resume ${runId}`);
      return 0;
    }
    if (owner && owner.hostname !== hostname() && owner.expiresAt > Date.now()) {
      throw new MarshalError(
        'LOCK_HELD',
        `run #${runId} is executing on ${owner.hostname} (pid ${owner.pid}); cancel it there`,
      );
    }
    // Nobody executes the run: steps it left "running" were interrupted by whatever stopped it.
    // The state goes first: the run's last span of work ends at its last event before it.
    const inFlight = await store.getSteps(runId, { states: ['running'] });
    await store.append([
      {
        type: 'run.state',
        runId,
        at: Date.now(),
        data: { state: 'cancelled', note: cancelledByNote(identity().actor) },
      },
      ...inFlight.map(
        (s): NewEvent => ({
          type: 'step.interrupted',
          runId,
          stepId: s.stepId,
          at: Date.now(),
          data: { attempt: s.attempts },
        }),
      ),
    ]);
    if (owner) await store.releaseLock(record.environment, runId);
    if (globals.json) printJson({ runId, state: 'cancelled' });
    else print(`run #${runId} cancelled; it stays resumable: marshal resume ${runId}`);
    return 0;
  } finally {
    await store.close();
  }
}
