import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AppliedPush } from '@dtrain/coordinator';

/** One line of the server's applied-pushes.jsonl (in --out): a gradient it applied. */
export type { AppliedPush } from '@dtrain/coordinator';

export async function readAppliedLog(outDir: string): Promise<AppliedPush[]> {
  const text = await readFile(join(outDir, 'applied-pushes.jsonl'), 'utf8');
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as AppliedPush);
}

/** Samples applied per epoch, and the (worker, step) keys applied more than once. */
export function auditAppliedLog(log: readonly AppliedPush[]): { samplesPerEpoch: Record<number, number>; duplicateKeys: string[] } {
  const samplesPerEpoch: Record<number, number> = {};
  const seen = new Set<string>();
  const duplicateKeys: string[] = [];
  for (const a of log) {
    samplesPerEpoch[a.epoch] = (samplesPerEpoch[a.epoch] ?? 0) + a.samples;
    const key = `${a.workerId}#${a.step}`;
    if (seen.has(key)) duplicateKeys.push(key);
    seen.add(key);
  }
  return { samplesPerEpoch, duplicateKeys };
}
