export { ManualClock } from './manual-clock';
export { assembleWat, renderBytesModule } from './wat-assembler';
