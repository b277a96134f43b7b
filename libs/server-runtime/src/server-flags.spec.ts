import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { addCommonFlags } from '@dtrain/cli-kit';
import { DEFAULT_SERVER_OPTIONS } from '@dtrain/coordinator';
import type { ServerFlags } from './server-flags';
import { SERVER_FLAG_TABLE, addServerFlags, serverOptionsFromFlags } from './server-flags';

function parse(argv: string[], defaults?: { host?: string; port?: number }): ServerFlags {
  const cmd = addServerFlags(addCommonFlags(new Command('server')), defaults).exitOverride().configureOutput({ writeErr: () => undefined });
  cmd.parse(argv, { from: 'user' });
  return cmd.opts<ServerFlags>();
}

describe('the server flag table', () => {
  it('gives every flag its default, and the options the defaults of the server', () => {
    const o = serverOptionsFromFlags(parse([]));
    expect(o.transportLimits).toEqual(DEFAULT_SERVER_OPTIONS.transportLimits);
    expect(o).toMatchObject({ workers: DEFAULT_SERVER_OPTIONS.workers, mode: DEFAULT_SERVER_OPTIONS.mode, maxFrameBytes: DEFAULT_SERVER_OPTIONS.maxFrameBytes, frozen: [], resume: false, tls: undefined });
  });

  it('puts each flag where its row says, nested limits included', () => {
    const f = parse(['--workers', '300', '--mode', 'ssp', '--staleness', '4', '--max-send-buffer-bytes', '123456', '--pre-auth-bytes', '4096', '--freeze', 'conv1, conv2', '--checkpoint-every', '7', '--shard', 'by-class', '--port', '7070']);
    const o = serverOptionsFromFlags(f);
    expect(o).toMatchObject({ workers: 300, maxWorkers: 300, mode: 'ssp', staleness: 4, frozen: ['conv1', 'conv2'], checkpointEverySteps: 7, shardStrategy: 'by-class', port: 7070 });
    expect(o.transportLimits).toEqual({ ...DEFAULT_SERVER_OPTIONS.transportLimits, maxSendBufferBytes: 123456, preAuthBytes: 4096 });
  });

  it('takes a command’s own host and port defaults, and validates values with the row’s parser', () => {
    expect(parse([], { host: '127.0.0.1', port: 9 })).toMatchObject({ host: '127.0.0.1', port: 9 });
    expect(() => parse(['--max-unjoined', 'lots'])).toThrow(/--max-unjoined/);
  });

  it('names each row after the field commander fills, once', () => {
    const fields = SERVER_FLAG_TABLE.map((r) => r.field);
    expect(new Set(fields).size).toBe(fields.length);
    // addFlagTable refuses a row whose field is not commander's attribute name.
    expect(() => addServerFlags(new Command('x'))).not.toThrow();
  });
});
