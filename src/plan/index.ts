export {
  checkArtifacts,
  type LocalArtifact,
  localArtifacts,
  type PathKind,
  readsLocalArtifacts,
} from './artifacts.js';
export { buildPlan, checkRequest, type PlanRequest } from './build.js';
export type { PhaseHistory } from './estimate.js';
export {
  BATCH_GATE,
  buildDeployGraph,
  buildRollbackGraph,
  type Direction,
  MARK,
  ROUTE_BACK,
  type RunGraph,
  SERVICE_GATE,
  SERVICE_STEP,
  STEP,
  type TouchedTargets,
  type Vertex,
} from './graph.js';
export { probeOf, type TargetProbe } from './probe.js';
export {
  actionFor,
  restoreHealthAction,
  retireAction,
  scopeFor,
  slotPort,
  targetContext,
} from './render.js';
export { renderAnalysis, routerBackends } from './render-delivery.js';
