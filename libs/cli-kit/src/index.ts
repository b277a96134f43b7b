export type { CommonFlags } from './common-flags';
export { addCommonFlags, floatArg, intArg, logLevelOf, runConfigFromFlags } from './common-flags';
export type { FlagRow } from './flag-table';
export { addFlagTable, applyFlagTable, flagRow } from './flag-table';
export { cliConsole, createCliLogger, logFormatOf } from './logging';
export type { CliProgress } from './progress';
export { printLine, printSummary } from './output';
export { resolveToken } from './token';
export { runProgram } from './run-program';
