/**
 * The config layer: load, validate and explain marshal.yaml. Depends only on
 * model/ and dag/.
 *
 * The validator (zod schemas, the YAML parser) is loaded on first use: a deploy whose
 * project comes from the cache never needs it. The generated JSON Schema and reference
 * live in ./reference.js, which only the docs generator imports.
 */

export { loadProject, loadProjectCached, saveProjectCache } from './cache.js';
export { formatProblem } from './problems.js';
export { STARTER_CONFIG } from './starter.js';
