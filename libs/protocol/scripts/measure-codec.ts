/**
 * Measures the codec on fp32 push frames of 225k and 5M elements (the model of record and the larger
 * variant): encode / decode time, frame bytes against raw bytes, and msgpackr's own typed-array
 * extension as a reference. Run: `npx tsx scripts/measure-codec.ts [out.json]` (not a timed test).
 */
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { Packr } from 'msgpackr';
import { decodeMessage, encodeMessage, type Message } from '../src/index';

const RUNS = 15;

function median(fn: () => void): number {
  const times: number[] = [];
  for (let i = 0; i < RUNS + 2; i++) {
    const t0 = performance.now();
    fn();
    if (i >= 2) times.push(performance.now() - t0); // two warm-up runs
  }
  times.sort((a, b) => a - b);
  return Number((times[RUNS >> 1] as number).toFixed(3));
}

function placeAt(frame: Uint8Array, offset: number): Uint8Array {
  const buf = new Uint8Array(frame.length + offset);
  buf.set(frame, offset);
  return buf.subarray(offset);
}

const reference = new Packr({ useRecords: false, moreTypes: true });
const results = [];
for (const n of [225_000, 5_000_000]) {
  const data = Float32Array.from({ length: n }, (_, i) => Math.sin(i));
  const msg: Message = { type: 'push', v: 1, workerId: 'w-1', step: 1, baseVersion: 0, samples: 64, loss: 0.1, grad: { codec: 'fp32', length: n, data } };
  const frame = encodeMessage(msg);
  const aligned = placeAt(frame, 8);
  const misaligned = placeAt(frame, 1);
  const refFrame = reference.pack({ data });
  results.push({
    elements: n,
    rawBytes: n * 4,
    frameBytes: frame.byteLength,
    overheadBytes: frame.byteLength - n * 4,
    encodeMs: median(() => encodeMessage(msg)),
    encodeNoValidateMs: median(() => encodeMessage(msg, { validate: false })),
    decodeAlignedMs: median(() => decodeMessage(aligned)),
    decodeMisalignedMs: median(() => decodeMessage(misaligned)),
    msgpackrExtEncodeMs: median(() => reference.pack({ data })),
    msgpackrExtDecodeMs: median(() => reference.unpack(refFrame)),
  });
}
const report = { node: process.version, cpu: os.cpus()[0]?.model, runs: RUNS, statistic: 'median', results };
console.table(results);
if (process.argv[2]) writeFileSync(process.argv[2], JSON.stringify(report, null, 2) + '\n');
