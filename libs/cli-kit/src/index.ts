export type { CommonFlags } from './common-flags';
export { addCommonFlags, floatArg, intArg, logLevelOf, runConfigFromFlags } from './common-flags';
export type { CliLoggerOptions, LogFormat } from './logging';
export { LOG_FORMATS, cliConsole, createCliLogger, logFormatOf } from './logging';
export type { CliProgress } from './progress';
export { createProgress } from './progress';
export { printLine, printSummary } from './output';
export { resolveToken } from './token';
export { runProgram } from './run-program';
