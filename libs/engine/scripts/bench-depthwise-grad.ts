/**
 * Times our wasm depthwise-conv gradient kernels against the cpu backend's on one realistic shape
 * (default: batch 64, 16×16×32, 3×3, multiplier 1, stride 1, 'same').
 * Run: npx tsx libs/engine/scripts/bench-depthwise-grad.ts [b h w c m k s]
 */
import * as tf from '@tensorflow/tfjs';
import { initWasmAndCpu, randomValues } from '../src/testing';

const [b, h, w, c, m, k, s] = (process.argv.slice(2).length ? process.argv.slice(2) : ['64', '16', '16', '32', '1', '3', '1']).map(Number) as [number, number, number, number, number, number, number];
const oh = Math.ceil(h / s);
const ow = Math.ceil(w / s);
const xShape: [number, number, number, number] = [b, h, w, c];
const fShape: [number, number, number, number] = [k, k, c, m];
const dyShape: [number, number, number, number] = [b, oh, ow, c * m];
const attrs = { strides: s, pad: 'same', dilations: [1, 1] } as unknown as tf.NamedAttrMap;

/** Median ms per call of `kernel` on `backend` (inputs made once, outside the timing). */
function time(backend: 'wasm' | 'cpu', kernel: 'forward' | 'input' | 'filter', reps: number): number {
  tf.setBackend(backend);
  const x = tf.tensor4d(randomValues(b * h * w * c, 1), xShape);
  const f = tf.tensor4d(randomValues(k * k * c * m, 2), fShape);
  const dy = tf.tensor4d(randomValues(b * oh * ow * c * m, 3), dyShape);
  const run = (): tf.Tensor =>
    kernel === 'forward'
      ? (tf.engine().runKernel('DepthwiseConv2dNative', { x, filter: f }, attrs) as tf.Tensor)
      : kernel === 'input'
        ? (tf.engine().runKernel('DepthwiseConv2dNativeBackpropInput', { dy, filter: f }, { ...attrs, inputShape: xShape }) as tf.Tensor)
        : (tf.engine().runKernel('DepthwiseConv2dNativeBackpropFilter', { x, dy }, { ...attrs, filterShape: fShape }) as tf.Tensor);
  for (let i = 0; i < 3; i++) run().dispose(); // JIT warm-up
  const ms: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    const out = run();
    out.dataSync();
    ms.push(performance.now() - t0);
    out.dispose();
  }
  tf.dispose([x, f, dy]);
  return ms.sort((p, q) => p - q)[Math.floor(reps / 2)] as number;
}

await initWasmAndCpu();
console.log(`x ${xShape.join('×')}, filter ${fShape.join('×')}, stride ${s}, 'same'`);
// forward: the stock kernels (XNNPACK on wasm), for scale
for (const kernel of ['forward', 'input', 'filter'] as const) {
  const wasm = time('wasm', kernel, 41);
  const cpu = time('cpu', kernel, 5);
  console.log(`${kernel.padEnd(7)} wasm ${wasm.toFixed(2)} ms   cpu ${cpu.toFixed(2)} ms   (×${(cpu / wasm).toFixed(1)})`);
}
