import { describe, expect, it } from 'vitest';
import { compressionRatio } from './compression-ratio';

const N = 225_034; // the model of record

describe('compressionRatio', () => {
  it('is 1 for fp32 frames (headers aside) and counts every push, applied or not', () => {
    const t = { appliedPushes: 8, droppedPushes: 1, stalePushes: 1, duplicatePushes: 0, gradientBytes: 10 * (4 * N + 150), weightBytes: 10 * (4 * N + 80) };
    expect(compressionRatio(t, 'cnn', 10)).toBe(1);
  });

  it('is the fp32 bytes over the bytes moved', () => {
    const t = { appliedPushes: 10, droppedPushes: 0, stalePushes: 0, duplicatePushes: 0, gradientBytes: 10 * N, weightBytes: 10 * N };
    expect(compressionRatio(t, 'cnn', 10)).toBe(4);
  });

  it('is 1 when nothing was pushed', () => {
    expect(compressionRatio({ appliedPushes: 0, droppedPushes: 0, stalePushes: 0, duplicatePushes: 0, gradientBytes: 0, weightBytes: 5 }, 'cnn', 10)).toBe(1);
  });
});
