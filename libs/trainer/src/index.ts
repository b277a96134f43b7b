export type { RunConfig } from './run-config';
export { DEFAULT_RUN_CONFIG, resolveRunConfig, ConfigError } from './run-config';
export type { BatchGradients } from './batch-gradients';
export { createBatchGradients } from './batch-gradients';
export { evaluateModel } from './evaluate';
export type { TrainSummary } from './train-summary';
export { summaryJson } from './train-summary';
export { trainSingleProcess, trainingIndices } from './single-process-trainer';
export { referenceComparison } from './reference-result';
