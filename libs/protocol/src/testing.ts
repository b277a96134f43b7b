import type { Rng } from '@dtrain/common';
import { PROTOCOL_VERSION } from './constants';
import type { EncodedTensor, TensorCodec } from './encoded-tensor';
import { packedByteLength } from './encoded-tensor';
import type { Message, MessageType } from './messages';

const v = PROTOCOL_VERSION;

/** A valid tensor of `codec` with `length` elements and values from `rng`. */
export function sampleTensor(codec: TensorCodec, length: number, rng: Rng): EncodedTensor {
  switch (codec) {
    case 'fp32':
      return { codec, length, data: Float32Array.from({ length }, () => rng.normal()) };
    case 'fp16':
      // Exponent bits kept below 0x1f so every value is finite.
      return { codec, length, data: Uint16Array.from({ length }, () => rng.int(0x7800) | (rng.int(2) << 15)) };
    case 'int8':
    case 'int4':
    case 'int3':
    case 'int2':
    case 'sign': {
      const chunk = 1 + rng.int(8);
      const scales = Float32Array.from({ length: Math.ceil(length / chunk) }, () => rng.next());
      if (codec === 'int8') return { codec, length, chunk, scales, data: Int8Array.from({ length }, () => rng.int(255) - 127) };
      return { codec, length, chunk, scales, data: Uint8Array.from({ length: packedByteLength(codec, length) }, () => rng.int(256)) };
    }
    case 'topk': {
      const picked: number[] = [];
      for (let i = 0; i < length; i++) if (rng.next() < 0.3) picked.push(i);
      return {
        codec,
        length,
        indices: Uint32Array.from(picked),
        values: Float32Array.from(picked, () => rng.normal()),
      };
    }
  }
}

/** One valid message of every type (optional fields filled), for round-trip and contract tests. */
export function sampleMessages(rng: Rng, tensorLength = 10): { [T in MessageType]: Extract<Message, { type: T }> } {
  return {
    join: {
      type: 'join',
      v,
      requestId: 1,
      workerId: 'worker-1.a_b',
      token: 's3cret-s3cret-s3cret',
      protocolVersion: PROTOCOL_VERSION,
      capabilities: { backend: 'wasm', compression: ['fp32', 'int8'], maxFrameBytes: 1 << 20, pid: 1234, host: 'node-a', trainableLayout: true },
      resumeFrom: { version: 3, step: 7 },
    },
    welcome: {
      type: 'welcome',
      v,
      replyTo: 1,
      workerId: 'worker-1.a_b',
      runId: 'run-2024-01-01T00:00:00Z',
      model: { name: 'cnn', layers: [{ kind: 'conv2d', filters: 8, kernel: [3, 3] }], dropout: 0.25, bias: true, extra: null },
      manifest: { names: ['conv/kernel', 'conv/bias'], shapes: [[3, 3, 1, 8], [8]], totalSize: 80 },
      dataset: 'mnist',
      hyper: { batchSize: 64, learningRate: 0.001, epochs: 2, seed: 42, augment: { rotateDeg: 10, shift: 2, scale: 0.1 } },
      mode: { kind: 'ssp', staleness: 2 },
      compression: 'int8',
      heartbeatMs: 1000,
      frozen: ['conv/bias'],
      pushLayout: 'trainable',
    },
    assign: { type: 'assign', v, epoch: 1, shard: { strategy: 'by-class', seed: 9, index: 1, count: 3 }, members: 3 },
    work: {
      type: 'work',
      v,
      step: 5,
      epoch: 1,
      baseVersion: 4,
      indices: Uint32Array.from({ length: 16 }, () => rng.int(60000)),
      augmentSeed: 77,
    },
    heartbeat: { type: 'heartbeat', v, ts: 1700000000000.5, stats: { step: 5, samplesPerSec: 812.5, computeMs: 40.25, rssBytes: 123456789, encodeMs: 3.5, tensors: 17, peakRssBytes: 223456789, cpuMs: 2150.75, cpuSteps: 40, kernelFallbacks: ['Conv2DBackpropInput'] } },
    leave: { type: 'leave', v, reason: 'SIGTERM' },
    error: { type: 'error', v, code: 'PS_ERR_STALE_PUSH', message: 'too stale', fatal: false, replyTo: 3 },
    done: { type: 'done', v, reason: 'finished', summary: { accuracy: 0.98, epochs: 2, perClass: [0.9, 0.99], note: 'ok' } },
    weights: { type: 'weights', v, version: 9, encoding: 'delta', baseVersion: 8, payload: sampleTensor('fp32', tensorLength, rng) },
    push: {
      type: 'push',
      v,
      workerId: 'worker-1.a_b',
      step: 5,
      baseVersion: 4,
      samples: 64,
      loss: -0.5,
      computeMs: 12.5,
      grad: sampleTensor('int8', tensorLength, rng),
    },
    ack: { type: 'ack', v, step: 5, status: 'stale', version: 9, code: 'PS_ERR_STALE_PUSH' },
    attach: { type: 'attach', v, workerId: 'worker-1.a_b', runId: 'run-1', ticket: 'dGlja2V0' },
    'shard-open': {
      type: 'shard-open',
      v,
      token: 's3cret-s3cret-s3cret',
      runId: 'run-1',
      index: 1,
      start: 80,
      end: 80 + tensorLength,
      version: 3,
      state: sampleTensor('fp32', 3 * tensorLength, rng),
      optimizer: { kind: 'adam', learningRate: 0.001, step: 3, slots: ['m', 'v'] },
      mask: Uint8Array.from({ length: tensorLength }, (_, i) => i % 2),
      weightsCompression: 'int2',
      ticketKey: 'a2V5',
      maxGradientAbs: 1e6,
      gradientSpikeFactor: 100,
    },
    'shard-ready': { type: 'shard-ready', v, index: 1, version: 3 },
    receipt: { type: 'receipt', v, workerId: 'worker-1.a_b', step: 5, code: 'PS_ERR_GRADIENT_OUT_OF_RANGE' },
    verdict: { type: 'verdict', v, version: 4, learningRate: 0.001, parts: [{ workerId: 'worker-1.a_b', step: 5, samples: 32 }, { workerId: 'w2', step: 6, samples: 32 }] },
    deliver: { type: 'deliver', v, version: 4, workers: ['worker-1.a_b', 'w2'] },
    forget: { type: 'forget', v, workerId: 'w2', step: 6 },
    fetch: { type: 'fetch', v, requestId: 2, optimizer: true },
    'slice-state': {
      type: 'slice-state',
      v,
      replyTo: 2,
      version: 4,
      state: sampleTensor('fp32', 3 * tensorLength, rng),
      optimizer: { kind: 'adam', learningRate: 0.001, step: 4, slots: ['m', 'v'] },
      traffic: { bytesIn: 123456, bytesOut: 654321, gradientBytes: 120000, weightBytes: 600000 },
    },
  };
}
