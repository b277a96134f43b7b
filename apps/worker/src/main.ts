// A training worker process: `nx serve worker -- --server ws://HOST:PORT` or, identically,
// `dtrain worker …`. The wiring lives in @dtrain/worker-runtime; this file only starts it.
import { runProgram } from '@dtrain/cli-kit';
import { workerCommand } from '@dtrain/worker-runtime';

process.exitCode = await runProgram(workerCommand().name('dtrain-worker'), process.argv.slice(2));
