export { findCycle, findNamedCycle, Graph } from './graph.js';
export { type VertexOutcome, type VisitResult, type WalkOptions, type WalkResult, walk } from './walk.js';
