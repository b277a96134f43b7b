export { CodedError, isCodedError } from './coded-error';
export type { Clock, TimerHandle } from './clock';
export { systemClock } from './clock';
export type { Rng } from './rng';
export { createRng, mixSeed, shuffleInPlace } from './rng';
export type { Logger, LogLevel } from './logger';
export { createLineLogger, silentLogger, LOG_LEVELS } from './logger';
export { processCpuMs } from './process-cpu';
