import type { Command } from 'commander';
import { CommanderError, InvalidArgumentError } from 'commander';
import { isCodedError } from '@dtrain/common';

/**
 * Runs a commander program and maps what it throws to the exit-code contract every dtrain entry
 * keeps: 0 ok, 1 runtime failure, 2 bad usage or input. Coded errors print as `error CODE: message`.
 */
export async function runProgram(program: Command, argv: string[]): Promise<number> {
  try {
    await program.exitOverride().parseAsync(argv, { from: 'user' });
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
