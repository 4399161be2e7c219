/**
 * Metric analyses (Prometheus query, HTTP JSON field, command) that give a
 * verdict — passed, failed, inconclusive or error — as Argo Rollouts does.
 */

export {
  type Condition,
  type ConditionNode,
  type ConditionValue,
  parseCondition,
} from '../../model/condition.js';
export { type AnalysisCommandRunner, runLocalCommand } from './command.js';
export { type Judged, judge, type Measure, prepareMeasure } from './measure.js';
export { prometheusQueryUrl } from './prometheus.js';
export type { Reading } from './reading.js';
export { type AnalysisOptions, type LoopSpec, measureLoop, runAnalysis } from './run.js';
export { CONSECUTIVE_ERROR_LIMIT } from './verdict.js';
