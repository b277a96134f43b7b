// A training worker process: `nx serve worker -- --server ws://HOST:PORT` or, identically,
// `dtrain worker …` (a leading `worker` is accepted, so the worker image takes dtrain's command
// line). The wiring lives in @dtrain/worker-runtime; this file only starts it.
import { runProgram } from '@dtrain/cli-kit';
import { workerCommand } from '@dtrain/worker-runtime';

const argv = process.argv.slice(2);
process.exitCode = await runProgram(workerCommand().name('dtrain-worker'), argv[0] === 'worker' ? argv.slice(1) : argv);
