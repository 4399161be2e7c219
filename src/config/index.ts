/**
 * The config layer: load, validate and explain marshal.yaml. Depends only on
 * model/ and dag/.
 */

export { loadProjectCached, saveProjectCache } from './cache.js';
export { configDigest } from './digest.js';
export { loadProject } from './load.js';
export { formatProblem } from './problems.js';
export { configJsonSchema, configReferenceMarkdown } from './reference.js';
export { STARTER_CONFIG } from './starter.js';
