import { Command } from 'commander';
import { writeReport } from '@dtrain/telemetry';
import { printLine } from '@dtrain/cli-kit';

interface ReportFlags {
  out?: string;
  run?: string;
  json: boolean;
}

export function reportCommand(): Command {
  return new Command('report')
    .description('render a run directory\'s history.jsonl as one self-contained HTML report (curves, confusion matrix)')
    .argument('<dir>', 'the run\'s --out directory (holds history.jsonl)')
    .option('--out <file>', 'where to write the report (default DIR/report.html)')
    .option('--run <id>', 'which run of the history (a prefix of its id; default the last one)')
    .option('--json', 'print one JSON line with the report path and counts', false)
    .action(async (dir: string, flags: ReportFlags) => {
      const r = await writeReport(dir, { ...(flags.out ? { out: flags.out } : {}), ...(flags.run ? { runId: flags.run } : {}) });
      if (flags.json) printLine(JSON.stringify({ report: r.path, run_id: r.runId, runs: r.runs, epochs: r.epochs, bytes: r.bytes }));
      else printLine(`report written to ${r.path} (run ${r.runId}, ${r.epochs} epoch(s), ${(r.bytes / 1024).toFixed(0)} kB)`);
    });
}
