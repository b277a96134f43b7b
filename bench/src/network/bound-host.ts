/**
 * A worker's host for the network bench: the real worker process's own host (`nodeHost`: the same
 * `ws` client, no per-message deflate, an all-zero mask key, the token in the upgrade's
 * Authorization header), with its socket bound to the worker's own address, so a source-address rule
 * in the worker namespace sends its traffic out of its own shaped veth (see topology.ts). It also
 * notes when each frame arrived, which the synthetic compute counts its wait from.
 */
import type { WorkerHost } from '@dtrain/worker-runtime';
import { nodeHost } from '@dtrain/worker-runtime';

/** When the latest frame reached this worker (performance.now()), written by the host, read by the compute. */
export interface FrameClock {
  lastFrameAt: number | undefined;
}

export function boundHost(localAddress: string, frames: FrameClock): WorkerHost {
  return nodeHost({ caPath: undefined, insecureTls: false, localAddress, onFrame: () => (frames.lastFrameAt = performance.now()) });
}
