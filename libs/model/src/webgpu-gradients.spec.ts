import { existsSync, mkdirSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { initEngine } from '@dtrain/engine';
import { buildModel } from './build-model';
import { createGradientComputer } from './gradient-computer';
import type { ModelConfig } from './model-config';
import { modelConfig } from './model-config';

/** Debian's chromium ships SwiftShader's Vulkan driver: a GPU-less machine can still run WebGPU on it. */
const SWIFTSHADER = '/usr/lib/chromium/vk_swiftshader_icd.json';
const libvulkan = ['/usr/lib/x86_64-linux-gnu/libvulkan.so.1', '/usr/lib/aarch64-linux-gnu/libvulkan.so.1'].some(existsSync);
const missing = !existsSync(SWIFTSHADER) ? `no SwiftShader Vulkan driver at ${SWIFTSHADER} (Debian's chromium package ships it)` : !libvulkan ? 'no Vulkan loader (Debian package libvulkan1)' : undefined;
if (missing) console.warn(`skipping the WebGPU test: ${missing}`);

// Under CI the drivers are installed (.ci/run): a missing one fails the test instead of skipping it.
describe.skipIf(missing !== undefined && process.env['CI'] !== 'true')('--backend webgpu on SwiftShader', () => {
  /** A graph of the layers users bring: batch norm, a residual add, strided, separable and depthwise convs, average and global pooling. */
  const GRAPH: ModelConfig = {
    name: 'graph',
    inputShape: [12, 12, 3],
    numClasses: 4,
    layers: [
      { kind: 'conv2d', name: 'c1', filters: 8, kernelSize: 3, padding: 'same', useBias: false },
      { kind: 'batchNorm', name: 'bn' },
      { kind: 'activation', name: 'a', activation: 'relu' },
      { kind: 'conv2d', name: 'c2', filters: 8, kernelSize: 3, padding: 'same' },
      { kind: 'add', name: 'res', inputs: ['a', 'c2'] },
      { kind: 'conv2d', name: 'down', filters: 8, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu' },
      { kind: 'separableConv2d', name: 'sep', filters: 8, kernelSize: 3, padding: 'same' },
      { kind: 'depthwiseConv2d', name: 'dw', kernelSize: 3, padding: 'same' },
      { kind: 'avgPool2d', name: 'avg', poolSize: 2 },
      { kind: 'globalAvgPool2d', name: 'gap' },
      { kind: 'dense', name: 'out', units: 4, activation: 'softmax' },
    ],
  };

  it('computes the model of record\'s gradients and a graph model\'s as the cpu backend does (relative error ≤ 1e-3), and reports the adapter', async () => {
    process.env['VK_ICD_FILENAMES'] = SWIFTSHADER;
    const xdg = '/tmp/dtrain-xdg-runtime';
    mkdirSync(xdg, { recursive: true, mode: 0o700 });
    process.env['XDG_RUNTIME_DIR'] ??= xdg;
    const gradients = async (cfg: ModelConfig): Promise<{ loss: number; grads: Float32Array }> => {
      const n = 16;
      const size = cfg.inputShape.reduce((a, b) => a * b, 1);
      const images = new Float32Array(n * size).map((_, k) => ((k * 2654435761) % 1000) / 1000);
      const labels = Int32Array.from({ length: n }, (_, k) => k % cfg.numClasses);
      const model = buildModel(cfg, { seed: 3 });
      const gc = createGradientComputer(model, { reuseBuffer: false });
      const r = await gc.computeAsync(images, labels, n);
      model.dispose();
      return r;
    };
    const configs = [modelConfig('cnn', 10), GRAPH];
    await tf.setBackend('cpu');
    const cpu = await Promise.all(configs.map(gradients));
    const engine = await initEngine({ backend: 'webgpu', env: {} });
    expect(engine.backend).toBe('webgpu');
    expect(engine.adapter?.software).toBe(true);
    for (const [i, cfg] of configs.entries()) {
      const gpu = await gradients(cfg);
      const ref = cpu[i]!;
      let num = 0;
      let den = 0;
      for (let k = 0; k < ref.grads.length; k++) {
        num += (gpu.grads[k]! - ref.grads[k]!) ** 2;
        den += ref.grads[k]! ** 2;
      }
      const rel = Math.sqrt(num / den);
      console.info(`${cfg.name}: webgpu (${engine.adapter?.description || engine.adapter?.vendor}) vs cpu: gradient relative error ${rel.toExponential(2)}, loss ${gpu.loss} vs ${ref.loss}`);
      expect(rel, cfg.name).toBeLessThanOrEqual(1e-3);
      expect(Math.abs(gpu.loss - ref.loss), cfg.name).toBeLessThan(1e-4);
    }
    await tf.setBackend('cpu');
  }, 300_000);
});
