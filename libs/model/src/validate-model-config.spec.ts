import { describe, expect, it } from 'vitest';
import { modelConfig } from './model-config';
import { validateModelConfig } from './validate-model-config';

const good = () => JSON.parse(JSON.stringify(modelConfig('cnn'))) as Record<string, unknown> & { layers: Record<string, unknown>[] };

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return (err as { code?: string }).code;
  }
  return undefined;
}

describe('validateModelConfig', () => {
  it.each<[string, (c: ReturnType<typeof good>) => unknown]>([
    ['not an object', () => 'cnn'],
    ['missing name', (c) => ({ ...c, name: '' })],
    ['bad input shape', (c) => ({ ...c, inputShape: [28, 28] })],
    ['fractional filters', (c) => ((c.layers[0] as Record<string, unknown>).filters = 2.5, c)],
    ['unknown layer kind', (c) => (c.layers.splice(1, 0, { kind: 'lstm', name: 'x' }), c)],
    ['unknown activation', (c) => ((c.layers[0] as Record<string, unknown>).activation = 'gelu', c)],
    ['dropout rate 1', (c) => (c.layers.splice(5, 0, { kind: 'dropout', name: 'd', rate: 1 }), c)],
    ['duplicate names', (c) => ((c.layers[1] as Record<string, unknown>).name = 'conv1', c)],
    ['last layer not numClasses', (c) => ({ ...c, numClasses: 5 })],
    ['dense before flatten', (c) => (c.layers.splice(0, 0, { kind: 'dense', name: 'early', units: 4 }), c)],
    ['absurd dimension', (c) => ((c.layers[0] as Record<string, unknown>).filters = 1 << 20, c)],
  ])('rejects %s with MODEL_ERR_BAD_CONFIG', (_why, mutate) => {
    expect(codeOf(() => validateModelConfig(mutate(good())))).toBe('MODEL_ERR_BAD_CONFIG');
  });

  it('accepts the largest allowed dimension and drops unknown keys', () => {
    const c = good();
    (c.layers[0] as Record<string, unknown>).filters = 1 << 16;
    c.extra = true;
    const cfg = validateModelConfig(c);
    expect(cfg.layers[0]).toMatchObject({ filters: 1 << 16 });
    expect(cfg).not.toHaveProperty('extra');
  });
});
