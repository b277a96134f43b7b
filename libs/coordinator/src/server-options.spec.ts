import { describe, expect, it } from 'vitest';
import { requiredCodecs, resolveServerOptions, weightsCodec } from './server-options';

describe('resolveServerOptions', () => {
  it.each([
    ['compression', { compression: 'zip' }],
    ['compression', { compression: 'int4:0' }],
    ['weightsCompression', { weightsCompression: 'topk:2' }],
  ])('refuses a bad %s with PS_ERR_BAD_OPTION before anything starts', (field, partial) => {
    expect(() => resolveServerOptions(partial)).toThrow(expect.objectContaining({ code: 'PS_ERR_BAD_OPTION', details: { field } }));
  });

  it('leaves the weights codec unset unless asked, which means "as the gradients"', () => {
    expect(resolveServerOptions({ compression: 'int8' }).weightsCompression).toBeUndefined();
    expect(weightsCodec(resolveServerOptions({ compression: 'int8' }))).toBe('int8');
    expect(weightsCodec(resolveServerOptions({ compression: 'int4', weightsCompression: 'sign:1024' }))).toBe('sign:1024');
  });
});

describe('requiredCodecs', () => {
  it('lists the kinds of both directions once each', () => {
    expect(requiredCodecs({ compression: 'int8', weightsCompression: undefined })).toEqual(['int8']);
    expect(requiredCodecs({ compression: 'int4:128', weightsCompression: 'sign' })).toEqual(['int4', 'sign']);
    expect(requiredCodecs({ compression: 'none', weightsCompression: 'none' })).toEqual(['none']);
  });
});
