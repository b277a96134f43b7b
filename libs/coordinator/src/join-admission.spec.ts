import { describe, expect, it } from 'vitest';
import type { Join } from '@dtrain/protocol';
import { PROTOCOL_VERSION } from '@dtrain/protocol';
import type { JoinTerms } from './join-admission';
import { admitJoin } from './join-admission';

const join = (extra: Partial<Join> = {}): Join => ({
  type: 'join',
  v: PROTOCOL_VERSION,
  requestId: 1,
  protocolVersion: PROTOCOL_VERSION,
  capabilities: { backend: 'cpu', compression: ['none', 'int8'], maxFrameBytes: 1 << 20 },
  ...extra,
});
const terms = (extra: Partial<JoinTerms> = {}): JoinTerms => ({ token: undefined, finished: false, codecs: ['int8'], defaultId: 'w1-7', ...extra });
const codeOf = (msg: Join, t: JoinTerms): string | undefined => {
  const v = admitJoin(msg, t);
  return v.ok ? undefined : v.code;
};

describe('admitJoin', () => {
  it('admits a well-formed join under its own id, or the default one', () => {
    expect(admitJoin(join({ workerId: 'gpu-0.a_b' }), terms())).toEqual({ ok: true, workerId: 'gpu-0.a_b' });
    expect(admitJoin(join(), terms())).toEqual({ ok: true, workerId: 'w1-7' });
  });

  it('refuses another protocol version', () => {
    expect(codeOf(join({ protocolVersion: PROTOCOL_VERSION + 1 }), terms())).toBe('PROTO_ERR_BAD_VERSION');
  });

  it('refuses a missing or wrong token when the server has one', () => {
    expect(codeOf(join(), terms({ token: 's3cret' }))).toBe('AUTH_ERR_MISSING_TOKEN');
    expect(codeOf(join({ token: 's3cres' }), terms({ token: 's3cret' }))).toBe('AUTH_ERR_BAD_TOKEN');
    expect(codeOf(join({ token: 's3cret' }), terms({ token: 's3cret' }))).toBeUndefined();
  });

  it('refuses every join once the run is over', () => {
    expect(codeOf(join(), terms({ finished: true }))).toBe('PS_ERR_SHUTTING_DOWN');
  });

  it("refuses a worker lacking one of the run's codecs", () => {
    expect(codeOf(join(), terms({ codecs: ['int8', 'fp16'] }))).toBe('PS_ERR_UNSUPPORTED_CODEC');
  });

  it('accepts a 64-character worker id and refuses 65 characters or a bad character', () => {
    expect(codeOf(join({ workerId: 'a'.repeat(64) }), terms())).toBeUndefined();
    expect(codeOf(join({ workerId: 'a'.repeat(65) }), terms())).toBe('PS_ERR_BAD_WORKER_ID');
    expect(codeOf(join({ workerId: 'a#1' }), terms())).toBe('PS_ERR_BAD_WORKER_ID');
    expect(codeOf(join({ workerId: '' }), terms())).toBe('PS_ERR_BAD_WORKER_ID');
  });
});
