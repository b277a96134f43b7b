import { CodedError } from '@dtrain/common';

/** Every code @dtrain/telemetry throws, with what it means. Stable: callers and tests branch on these. */
export const TELEMETRY_ERROR_CODES = {
  TELEMETRY_ERR_NO_HISTORY: 'the run directory has no history file, or the file holds no run',
  TELEMETRY_ERR_BAD_HISTORY: 'a history line is not JSON, too long, or not a record of a known type and shape',
  TELEMETRY_ERR_NO_RUN: 'the history has no run with the requested id',
  TELEMETRY_ERR_ASSET: 'a static file of the dashboard (or the chart library) is missing',
  TELEMETRY_ERR_BAD_OPTION: 'an option is out of range (port, limits, intervals)',
  TELEMETRY_ERR_LISTEN: 'the dashboard could not listen on its host and port (in use, no permission)',
  TELEMETRY_ERR_TOO_MANY_VIEWERS: 'the dashboard already streams to its maximum number of viewers (HTTP 503 body, not thrown)',
} as const;

export type TelemetryErrorCode = keyof typeof TELEMETRY_ERROR_CODES;

export class TelemetryError extends CodedError<TelemetryErrorCode> {}
