export { ManualClock } from './manual-clock';
export { assembleWat, renderBytesModule, writeSimdBytes } from './wat-assembler';
