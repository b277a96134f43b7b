import { formatReport } from '@dtrain/training';
import type { TrainSummary } from '@dtrain/trainer';
import { referenceComparison, summaryJson } from '@dtrain/trainer';

/** Writes one line to stdout (results), never to stderr (logs). */
export function printLine(line: string): void {
  process.stdout.write(line + '\n');
}

/** Human report, or under --json exactly one JSON object as the last stdout line. */
export function printSummary(s: TrainSummary, json: boolean, classNames?: string[]): void {
  if (json) {
    printLine(JSON.stringify(summaryJson(s)));
    return;
  }
  printLine(formatReport(s.report, classNames));
  printLine(
    `trained ${s.trainSamples} samples in ${s.trainSeconds.toFixed(1)} s (${s.samplesPerSec.toFixed(0)} samples/s) ` +
      `on ${s.backend}, ${s.workers} worker(s), ${s.steps} steps` +
      (s.outDir ? `; model saved to ${s.outDir}` : ''),
  );
  const reference = referenceComparison(s);
  if (reference) printLine(reference);
}
