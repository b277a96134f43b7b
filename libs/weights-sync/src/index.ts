export type { WeightsEncoderStats, WeightsHolder } from './weights-encoder';
export { WeightsEncoder } from './weights-encoder';
export type { ApplyOutcome } from './weights-applier';
export { WeightsApplier } from './weights-applier';
