import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { isCodedError } from '@dtrain/common';
import { evalCommand } from './commands/eval-command';
import { predictCommand } from './commands/predict-command';
import { trainCommand } from './commands/train-command';
import { serverCommand } from './commands/server-command';
import { workerCommand } from './commands/worker-command';
import { localCommand } from './commands/local-command';
import { finetuneCommand } from './commands/finetune-command';
import { reportCommand } from './commands/report-command';

export function buildProgram(): Command {
  const program = new Command('dtrain')
    .description('distributed data-parallel CNN training for TensorFlow.js')
    .showHelpAfterError()
    .exitOverride();
  for (const cmd of [trainCommand(), evalCommand(), predictCommand(), serverCommand(), workerCommand(), localCommand(), finetuneCommand(), reportCommand()]) program.addCommand(cmd.exitOverride());
  return program;
}

/** Runs the CLI; returns the process exit code (0 ok, 1 runtime failure, 2 bad usage/input). */
export async function main(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv, { from: 'user' });
    return 0;
  } catch (err) {
    // Thrown by our own option checks inside an action: commander has not printed it.
    if (err instanceof InvalidArgumentError) {
      process.stderr.write(`dtrain: error CONFIG_ERR_BAD_VALUE: ${err.message}\n`);
      return 2;
    }
    // Parse errors: commander already printed the message and the help hint.
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    if (isCodedError(err)) {
      process.stderr.write(`dtrain: error ${err.code}: ${err.message}\n`);
      return err.code.startsWith('CONFIG_') || err.code.startsWith('INPUT_') || err.code.endsWith('_BAD_SPEC') ? 2 : 1;
    }
    process.stderr.write(`dtrain: ${(err as Error).stack ?? String(err)}\n`);
    return 1;
  }
}
