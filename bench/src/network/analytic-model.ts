/**
 * An analytic model of one BSP step through the parameter server's link, to predict the measured
 * points and extrapolate to 100–1,000 workers. Pure functions, no I/O.
 *
 * A step, seen from one server (or one of K shards, each holding 1/K of the parameters, all in
 * parallel): the server writes N weights frames at once and N TCP flows share its link fairly, so
 * every worker holds its weights after N·W/G (its own link adds time only where W alone takes
 * longer on it); all compute for c (+ their push encode e) and push at about the same time, so the
 * N pushes share the inbound link the same way and are all in after N·P/G; then the server's CPU
 * for the step: its per-byte part (decoding and adding pushes) overlaps the inbound transfer, its
 * fixed part (the update, the weights frame) follows it. So the step is a sum:
 * T = max(N·W/Gs, W/Gw) + c + e + max(N·P/Gs, P/Gw, cpu per byte) + cpu fixed. (A first version queued frames
 * first-in first-out and let the uplink overlap the downlink; the measurements said otherwise:
 * at N = 32 uncompressed the step was 2 × N frame times, not N.) Throughput is N·batch per step;
 * the ideal is N·batch per compute time (every worker computing all the time).
 *
 * Links carry payload at a goodput below their line rate (TCP/IP and WebSocket framing: ~0.95 of
 * the tbf rate, measured by link-probe.ts). The server's CPU per step is fit from the measured
 * runs as fixed + per byte handled (fitServerCpu). With K > 1 measured shards, each shard's own line
 * (fixed + per byte of its 1/K of the frames) is fit from the shards' measured CPU, and the
 * coordinator's per-step CPU (fixed + per worker: headers, receipts, verdicts, work frames) is added
 * in series (fitCoordinator).
 */

export interface StepInputs {
  workers: number;
  /** K ≥ 1 servers splitting the parameters evenly (K = 1: one parameter server). */
  shards: number;
  /** Each endpoint's line rate, Mbit/s (server, shards, workers alike unless workerMbit is given). */
  linkMbit: number;
  workerMbit?: number;
  /** Payload bytes per wire byte. */
  goodput: number;
  computeMs: number;
  batch: number;
  /** One worker's gradient push and one weights frame, whole model, bytes. */
  pushBytes: number;
  weightsBytes: number;
  /** The worker's push encode (compression), ms. */
  encodeMs: number;
  /** K = 1: the server's CPU line. K > 1 without `shard`: the one-server line split K ways (a guess). */
  server: ServerCpu;
  /**
   * K > 1, measured: one shard's CPU per step, fixed + ns per byte of the frames that shard handles
   * (N · (P + W) / K); it replaces `server` for the shards.
   */
  shard?: ServerCpu;
  /** K > 1: the coordinator's CPU per step (headers, receipts, verdicts, work), in series with the shards': fixed + per worker. */
  coordinator?: { fixedMs: number; perWorkerMs: number };
}

/** Server CPU per step for N pushes of B bytes each (push + weights) on one server: fixed + N·B·perByte. */
export interface ServerCpu {
  fixedMs: number;
  nsPerByte: number;
}

export interface StepPrediction {
  stepMs: number;
  samplesPerS: number;
  idealSamplesPerS: number;
  efficiency: number;
  /** Time one server's (shard's) link needs for the step's pushes / weights, and its CPU, ms. */
  linkInMs: number;
  linkOutMs: number;
  serverCpuMs: number;
  /** K > 1: the coordinator's CPU per step, ms (0 for one server: its CPU is serverCpuMs). */
  coordinatorMs: number;
  /** What the step's time is mostly made of. */
  limit: 'compute' | 'server link' | 'server cpu' | 'worker link' | 'coordinator cpu';
}

/** ms to carry `bytes` of payload at `mbit` line rate with the given goodput. */
export function transferMs(bytes: number, mbit: number, goodput: number): number {
  return (bytes * 8) / (mbit * 1e3 * goodput);
}

export function predictStep(p: StepInputs): StepPrediction {
  const n = Math.max(1, Math.round(p.workers));
  const k = Math.max(1, Math.round(p.shards));
  const wMbit = p.workerMbit ?? p.linkMbit;
  const push = p.pushBytes / k;
  const weights = p.weightsBytes / k;
  const linkInMs = n * transferMs(push, p.linkMbit, p.goodput);
  const linkOutMs = n * transferMs(weights, p.linkMbit, p.goodput);
  // The worker takes K frames at once (one per server) and sends K pushes at once on its own link.
  const down = Math.max(linkOutMs, transferMs(p.weightsBytes, wMbit, p.goodput));
  const up = Math.max(linkInMs, transferMs(p.pushBytes, wMbit, p.goodput));
  const line = k > 1 && p.shard ? p.shard : p.server;
  const fixedMs = k > 1 && p.shard ? p.shard.fixedMs : p.server.fixedMs / k;
  const perByteMs = (n * (push + weights) * line.nsPerByte) / 1e6;
  const serverCpuMs = fixedMs + perByteMs;
  const coordinatorMs = k > 1 && p.coordinator ? p.coordinator.fixedMs + n * p.coordinator.perWorkerMs : 0;
  // Pushes finish at slightly different times, and the server decodes each as it lands: its per-byte
  // work overlaps the inbound transfer, its fixed part (the update, the weights frame) does not. With
  // shards, the coordinator's part (receipts → verdict → deliver + work) is in series with theirs.
  const stepMs = down + p.computeMs + p.encodeMs + Math.max(up, perByteMs) + fixedMs + coordinatorMs;
  const samplesPerS = (n * p.batch * 1000) / stepMs;
  const idealSamplesPerS = (n * p.batch * 1000) / p.computeMs;
  const parts: [StepPrediction['limit'], number][] = [
    ['compute', p.computeMs + p.encodeMs],
    ['server link', linkInMs + linkOutMs],
    ['server cpu', serverCpuMs],
    ['worker link', down + up - linkInMs - linkOutMs],
    ['coordinator cpu', coordinatorMs],
  ];
  const limit = parts.reduce((a, b) => (b[1] > a[1] ? b : a))[0];
  return { stepMs, samplesPerS, idealSamplesPerS, efficiency: samplesPerS / idealSamplesPerS, linkInMs, linkOutMs, serverCpuMs, coordinatorMs, limit };
}

export interface CpuSample {
  workers: number;
  /** push + weights bytes per worker per step, whole model. */
  bytesPerWorker: number;
  cpuMsPerStep: number;
}

/**
 * Least squares of cpu = fixed + nsPerByte · (N · bytesPerWorker) over the samples (one server).
 * With one sample, or all at the same byte count, the per-byte term is 0 and fixed is the mean.
 */
export function fitServerCpu(samples: readonly CpuSample[]): ServerCpu {
  if (samples.length === 0) return { fixedMs: 0, nsPerByte: 0 };
  const xs = samples.map((s) => s.workers * s.bytesPerWorker);
  const ys = samples.map((s) => s.cpuMsPerStep);
  const mx = xs.reduce((a, b) => a + b, 0) / xs.length;
  const my = ys.reduce((a, b) => a + b, 0) / ys.length;
  let sxx = 0;
  let sxy = 0;
  for (let i = 0; i < xs.length; i++) {
    sxx += ((xs[i] as number) - mx) ** 2;
    sxy += ((xs[i] as number) - mx) * ((ys[i] as number) - my);
  }
  if (sxx === 0) return { fixedMs: Math.max(0, my), nsPerByte: 0 };
  const slope = Math.max(0, sxy / sxx);
  return { fixedMs: Math.max(0, my - slope * mx), nsPerByte: slope * 1e6 };
}

/** Least squares of coordinator ms per step = fixed + perWorker · N (slope ≥ 0; one N: the mean). */
export function fitCoordinator(samples: readonly { workers: number; ms: number }[]): { fixedMs: number; perWorkerMs: number } {
  if (samples.length === 0) return { fixedMs: 0, perWorkerMs: 0 };
  const mx = samples.reduce((a, x) => a + x.workers, 0) / samples.length;
  const my = samples.reduce((a, x) => a + x.ms, 0) / samples.length;
  const sxx = samples.reduce((a, x) => a + (x.workers - mx) ** 2, 0);
  const sxy = samples.reduce((a, x) => a + (x.workers - mx) * (x.ms - my), 0);
  const slope = sxx === 0 ? 0 : Math.max(0, sxy / sxx);
  return { fixedMs: Math.max(0, my - slope * mx), perWorkerMs: slope };
}

/** (predicted − measured) / measured. */
export function relativeError(predicted: number, measured: number): number {
  return measured === 0 ? Number.POSITIVE_INFINITY : (predicted - measured) / measured;
}

/**
 * Payload bytes of one tensor of n elements under a codec, as libs/training encodes it (the data,
 * one float32 scale per chunk for the chunked codecs), plus a frame overhead for the message.
 */
export function codecBytes(n: number, codec: string, frameOverhead = 200): number {
  const [kind, arg] = codec.split(':');
  const chunk = (d: number): number => Number(arg ?? d);
  switch (kind) {
    case 'none':
    case 'fp32':
      return 4 * n + frameOverhead;
    case 'fp16':
      return 2 * n + frameOverhead;
    case 'int8':
      return n + 4 * Math.ceil(n / chunk(512)) + frameOverhead;
    case 'int4':
      return Math.ceil(n / 2) + 4 * Math.ceil(n / chunk(256)) + frameOverhead;
    case 'int3':
      return Math.ceil((3 * n) / 8) + 4 * Math.ceil(n / chunk(256)) + frameOverhead;
    case 'int2':
      return Math.ceil(n / 4) + 4 * Math.ceil(n / chunk(256)) + frameOverhead;
    case 'sign':
      return Math.ceil(n / 8) + 4 * Math.ceil(n / chunk(512)) + frameOverhead;
    default:
      throw new Error(`no byte formula for codec ${codec}`);
  }
}
