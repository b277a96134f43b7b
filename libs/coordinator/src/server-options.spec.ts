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

describe('safe defaults', () => {
  const TOKEN = 'a-token-of-24-characters';

  it('listens on loopback without a token and on every interface with one, unless told', () => {
    expect(resolveServerOptions({}).host).toBe('127.0.0.1');
    expect(resolveServerOptions({ token: TOKEN }).host).toBe('0.0.0.0');
    expect(resolveServerOptions({ host: '127.0.0.2' }).host).toBe('127.0.0.2');
    expect(resolveServerOptions({ host: '10.0.0.5', token: TOKEN }).host).toBe('10.0.0.5');
  });

  it.each(['0.0.0.0', '10.0.0.5', '::'])('refuses %s without a token (PS_ERR_INSECURE_BIND), allows it with --insecure', (host) => {
    expect(() => resolveServerOptions({ host })).toThrow(expect.objectContaining({ code: 'PS_ERR_INSECURE_BIND', details: { field: 'host', host } }));
    expect(resolveServerOptions({ host, insecure: true }).host).toBe(host);
  });

  it('accepts a token at the minimum length and refuses one a character shorter', () => {
    expect(resolveServerOptions({ token: 'x'.repeat(16) }).token).toHaveLength(16);
    expect(() => resolveServerOptions({ token: 'x'.repeat(15) })).toThrow(expect.objectContaining({ code: 'PS_ERR_BAD_OPTION', details: { field: 'token' } }));
    expect(resolveServerOptions({ token: 'short', minTokenLength: 5 }).token).toBe('short');
  });
});
