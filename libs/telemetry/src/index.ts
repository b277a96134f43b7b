export { TelemetryError, TELEMETRY_ERROR_CODES } from './telemetry-error';
export type { TelemetryErrorCode } from './telemetry-error';
export {
  DEFAULT_HISTORY_STEP_INTERVAL_MS,
  DEFAULT_MAX_SSE_CLIENTS,
  DEFAULT_MAX_STEP_POINTS,
  DEFAULT_STATUS_INTERVAL_MS,
  HISTORY_FILE_NAME,
  HISTORY_FORMAT_VERSION,
} from './constants';
export type { RunInfo, StepPoint, EpochPoint, WorkerRow, RunStatus, EvaluationView, RunSnapshot } from './run-snapshot';
export type { CoordinatorView, MemberView, TotalsView } from './coordinator-view';
export type { MonitorOptions, MonitorUpdate, StepInput } from './run-monitor';
export { RunMonitor, DEFAULT_MONITOR_OPTIONS } from './run-monitor';
export type { MetricsOptions } from './training-metrics';
export { TrainingMetrics } from './training-metrics';
export type { HistoryRecord } from './history-record';
export { parseHistoryLine } from './history-record';
export type { HistoryWriterOptions } from './history-writer';
export { HistoryWriter } from './history-writer';
export type { RunHistory, ReadHistoryOptions } from './history-reader';
export { readHistory, groupRuns } from './history-reader';
export type { DashboardOptions, DashboardDeps, RunningDashboard } from './dashboard-server';
export { startDashboard } from './dashboard-server';
export type { SseHubOptions } from './sse-hub';
export { evaluationHtml, perClassTable, confusionHeatmap } from './evaluation-html';
export type { ReportOptions } from './report-renderer';
export { renderReport } from './report-renderer';
export type { AssetMap, Asset } from './static-assets';
export { loadAssets } from './static-assets';
export type { WriteReportOptions, WrittenReport } from './report-file';
export { writeReport } from './report-file';
export type { RunTelemetry, RunTelemetryOptions } from './run-telemetry';
export { startRunTelemetry } from './run-telemetry';
export { combineEvents } from './combine-events';
