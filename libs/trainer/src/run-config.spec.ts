import { describe, expect, it } from 'vitest';
import { DEFAULT_RUN_CONFIG, resolveRunConfig } from './run-config';

describe('resolveRunConfig', () => {
  it('fills defaults and keeps given values', () => {
    const c = resolveRunConfig({ epochs: 3, dataset: 'fashion-mnist', outDir: undefined });
    expect(c).toEqual({ ...DEFAULT_RUN_CONFIG, epochs: 3, dataset: 'fashion-mnist' });
  });
  it.each([
    ['epochs', 0],
    ['epochs', 1.5],
    ['batchSize', 4097],
    ['seed', -1],
    ['seed', 2 ** 32],
    ['trainLimit', -5],
    ['learningRate', 0],
    ['learningRate', Number.NaN],
  ] as const)('rejects %s = %s with CONFIG_ERR_BAD_VALUE', (field, value) => {
    expect(() => resolveRunConfig({ [field]: value })).toThrow(expect.objectContaining({ code: 'CONFIG_ERR_BAD_VALUE', details: { field } }));
  });
  it('accepts the boundaries', () => {
    expect(resolveRunConfig({ seed: 2 ** 32 - 1, batchSize: 4096, epochs: 1 }).seed).toBe(2 ** 32 - 1);
  });
});

describe('lrSchedule', () => {
  it('defaults to constant and accepts the schedule forms', () => {
    expect(resolveRunConfig({}).lrSchedule).toBe('constant');
    for (const s of ['cosine', 'cosine:0.5', 'step:2:0.5']) expect(resolveRunConfig({ lrSchedule: s }).lrSchedule).toBe(s);
  });

  it('refuses a malformed schedule with CONFIG_ERR_BAD_VALUE naming the field', () => {
    expect(() => resolveRunConfig({ lrSchedule: 'cosine:-1' })).toThrow(expect.objectContaining({ code: 'CONFIG_ERR_BAD_VALUE', details: { field: 'lrSchedule' } }));
  });
});
