/** Health checks (HTTP, TCP, command) shared by every provider. */

export { bodyMatcher, type ProbeOutcome, type RunCommand } from './probes.js';
export { checkLabel, runHealthChecks } from './run.js';
