export { Graph, findCycle, findNamedCycle } from './graph.js';
export { walk, type VisitResult, type VertexOutcome, type WalkOptions, type WalkResult } from './walk.js';
