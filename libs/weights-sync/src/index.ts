export { WeightsEncoder } from './weights-encoder';
export { WeightsApplier } from './weights-applier';
