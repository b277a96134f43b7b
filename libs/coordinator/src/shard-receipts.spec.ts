import type { Push } from '@dtrain/protocol';
import { PROTOCOL_VERSION } from '@dtrain/protocol';
import { describe, expect, it } from 'vitest';
import type { Member } from './member';
import type { AssembledPush } from './shard-receipts';
import { ShardReceipts } from './shard-receipts';

const member = (workerId: string): Member => ({ workerId, state: 'active' }) as unknown as Member;
const header = (workerId: string, step: number): Push => ({ type: 'push', v: PROTOCOL_VERSION, workerId, step, baseVersion: 0, samples: 8, loss: 1 });

function receipts(shards = 2, max = 100): { r: ShardReceipts; done: AssembledPush[]; clock: { t: number } } {
  const done: AssembledPush[] = [];
  const clock = { t: 0 };
  return { r: new ShardReceipts(shards, (a) => done.push(a), () => max, () => clock.t), done, clock };
}

describe('ShardReceipts', () => {
  it('completes a push once its header and every shard’s receipt are in, in any order', () => {
    const { r, done } = receipts();
    const a = member('a');
    r.receipt(1, 'a', 3, undefined);
    expect(done).toHaveLength(0);
    r.header(a, header('a', 3));
    expect(done).toHaveLength(0);
    r.receipt(0, 'a', 3, undefined);
    expect(done).toEqual([{ member: a, header: header('a', 3), refusal: undefined }]);
    expect(r.size).toBe(0);
  });

  it('carries the first refusal a shard receipted', () => {
    const { r, done } = receipts(3);
    r.header(member('a'), header('a', 1));
    r.receipt(0, 'a', 1, undefined);
    r.receipt(2, 'a', 1, 'PS_ERR_GRADIENT_OUT_OF_RANGE');
    r.receipt(1, 'a', 1, 'PROTO_ERR_BAD_SHAPE');
    expect(done.map((d) => d.refusal)).toEqual(['PS_ERR_GRADIENT_OUT_OF_RANGE']);
  });

  it('counts a shard once, whatever it repeats', () => {
    const { r, done } = receipts(2);
    r.header(member('a'), header('a', 1));
    r.receipt(0, 'a', 1, undefined);
    r.receipt(0, 'a', 1, undefined);
    expect(done).toHaveLength(0);
  });

  it('gives up on a header whose receipts do not come within the timeout', () => {
    const { r, done, clock } = receipts(2);
    const a = member('a');
    r.header(a, header('a', 1));
    r.receipt(0, 'a', 1, undefined);
    clock.t = 500;
    expect(r.overdue(1000)).toEqual([]);
    clock.t = 1500;
    expect(r.overdue(1000)).toEqual([a]);
    r.receipt(1, 'a', 1, undefined);
    expect(done).toHaveLength(0);
  });

  it('holds a bounded number of incomplete pushes, dropping the oldest', () => {
    const { r, done } = receipts(2, 3);
    for (let s = 0; s < 10; s++) r.receipt(0, 'x', s, undefined);
    expect(r.size).toBe(3);
    r.header(member('x'), header('x', 0));
    r.receipt(1, 'x', 0, undefined);
    expect(done).toHaveLength(0);
  });
});
