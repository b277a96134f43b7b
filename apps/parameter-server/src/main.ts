// The parameter-server process: `nx serve parameter-server -- --workers 2 …` or, identically,
// `dtrain server …`. The wiring lives in @dtrain/server-runtime; this file only starts it.
import { runProgram } from '@dtrain/cli-kit';
import { serverCommand } from '@dtrain/server-runtime';

process.exitCode = await runProgram(serverCommand().name('dtrain-server'), process.argv.slice(2));
