import { describe, expect, it } from 'vitest';
import { ManualClock } from '@dtrain/common/testing';
import { RefusalLog } from './refusal-log';
import { recordingLogger } from './testing';

describe('RefusalLog', () => {
  it('logs the first of a window one by one and summarises the rest by code in the next', () => {
    const log = recordingLogger();
    const clock = new ManualClock(0);
    const r = new RefusalLog({ log, clock, burst: 3, windowMs: 1_000 });
    for (let i = 0; i < 10_000; i++) r.refused({ code: i % 2 ? 'PROTO_ERR_MALFORMED' : 'AUTH_ERR_BAD_TOKEN' });
    expect(log.records).toHaveLength(3);
    clock.advance(1_000);
    r.refused({ code: 'PS_ERR_NOT_JOINED' });
    expect(log.records).toHaveLength(5);
    expect(log.records[3]).toMatchObject({ msg: 'refused more frames than were logged', fields: { suppressed: 9_997, by_code: { PROTO_ERR_MALFORMED: 4_999, AUTH_ERR_BAD_TOKEN: 4_998 } } });
    expect(log.records[4]).toMatchObject({ msg: 'refused a frame', fields: { code: 'PS_ERR_NOT_JOINED' } });
  });
});
