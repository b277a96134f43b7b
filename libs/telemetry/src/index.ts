export { TelemetryError, TELEMETRY_ERROR_CODES } from './telemetry-error';
export type { TelemetryErrorCode } from './telemetry-error';
export { HISTORY_FILE_NAME } from './constants';
export { writeReport } from './report-file';
export type { RunTelemetry } from './run-telemetry';
export { startRunTelemetry } from './run-telemetry';
export { combineEvents } from './combine-events';
