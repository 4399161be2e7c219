export { systemClock } from './clock.js';
export { type ExecuteDeps, executeRun, type RunOutcome } from './execute.js';
export { Journal, type RunObserver } from './journal.js';
export { type RollbackTo, rollbackVersions } from './rollback-target.js';
export { type Identity, planDeploy, type RunnerDeps, type RunOptions, resumeRun, startRun } from './runs.js';
export { backoffDelay, isRetryable } from './task.js';
