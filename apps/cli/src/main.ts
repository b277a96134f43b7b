import { Command } from 'commander';
import { runProgram } from '@dtrain/cli-kit';
import { serverCommand, shardCommand } from '@dtrain/server-runtime';
import { workerCommand } from '@dtrain/worker-runtime';
import { evalCommand } from './commands/eval-command';
import { predictCommand } from './commands/predict-command';
import { trainCommand } from './commands/train-command';
import { localCommand } from './commands/local-command';
import { finetuneCommand } from './commands/finetune-command';
import { reportCommand } from './commands/report-command';

/**
 * The user's umbrella command. `server` and `worker` are the very commands the
 * apps/parameter-server and apps/worker entries run.
 */
export function buildProgram(): Command {
  const program = new Command('dtrain')
    .description('distributed data-parallel CNN training for TensorFlow.js')
    .showHelpAfterError()
    .exitOverride();
  for (const cmd of [trainCommand(), evalCommand(), predictCommand(), serverCommand(), shardCommand(), workerCommand(), localCommand(), finetuneCommand(), reportCommand()]) program.addCommand(cmd.exitOverride());
  return program;
}

/** Runs the CLI; returns the process exit code (0 ok, 1 runtime failure, 2 bad usage/input). */
export function main(argv: string[]): Promise<number> {
  return runProgram(buildProgram(), argv);
}
