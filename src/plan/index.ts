export { buildPlan, checkRequest, type PlanRequest } from './build.js';
export type { PhaseHistory } from './estimate.js';
export {
  BATCH_GATE,
  buildDeployGraph,
  buildRollbackGraph,
  type Direction,
  MARK,
  type RunGraph,
  SERVICE_GATE,
  STEP,
  type TouchedTargets,
} from './graph.js';
export { actionFor, restoreHealthAction, scopeFor, targetContext } from './render.js';
