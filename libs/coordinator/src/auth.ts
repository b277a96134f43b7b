import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Compares a presented token with the expected one in constant time. Both are hashed first so the
 * comparison time does not depend on where they differ, nor on their lengths.
 */
export function tokensMatch(presented: string, expected: string): boolean {
  const a = createHash('sha256').update(presented, 'utf8').digest();
  const b = createHash('sha256').update(expected, 'utf8').digest();
  return timingSafeEqual(a, b);
}

/** A fresh key for shard tickets (one per run and coordinator process). */
export function newTicketKey(): string {
  return randomBytes(32).toString('base64url');
}

/** What member `workerId` of `runId` presents to each shard: only the coordinator, which admitted it, can make it. */
export function shardTicket(key: string, runId: string, workerId: string): string {
  return createHmac('sha256', key).update(`${runId}\n${workerId}`, 'utf8').digest('base64url');
}

export function ticketMatches(key: string, runId: string, workerId: string, presented: string): boolean {
  return tokensMatch(presented, shardTicket(key, runId, workerId));
}
