import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { initEngine } from './init-engine';
import { mayHaveHardwareGpu } from './webgpu-device';
import { registerWasmTrainingKernels } from './wasm/register-wasm-training-kernels';

const tfjsNodeLoads = await import(/* @vite-ignore */ ['@tensorflow', 'tfjs-node'].join('/')).then(
  () => true,
  () => false,
);

describe('initEngine', () => {
  it('initialises a forced backend and reports it', async () => {
    const info = await initEngine({ backend: 'cpu', env: {} });
    expect(info).toMatchObject({ backend: 'cpu', requested: 'cpu', fallbacks: [] });
    expect(tf.getBackend()).toBe('cpu');
  });

  it('lets DTRAIN_BACKEND override the option', async () => {
    const info = await initEngine({ backend: 'cpu', env: { DTRAIN_BACKEND: 'wasm' } });
    expect(info.backend).toBe('wasm');
    expect(info.simd).toBe(true);
    expect(tf.getBackend()).toBe('wasm');
  });

  it('rejects an unknown backend name', async () => {
    await expect(initEngine({ env: { DTRAIN_BACKEND: 'gpu' } })).rejects.toMatchObject({ code: 'ENGINE_ERR_BAD_BACKEND' });
  });

  it.skipIf(tfjsNodeLoads)('fails a forced backend that cannot load', async () => {
    await expect(initEngine({ backend: 'tensorflow', env: {} })).rejects.toMatchObject({ code: 'ENGINE_ERR_BACKEND_UNAVAILABLE' });
  });

  it.skipIf(tfjsNodeLoads || mayHaveHardwareGpu({}))('auto falls back from tensorflow (and, without a GPU driver, webgpu) to wasm and says why', async () => {
    const info = await initEngine({ env: {} });
    expect(info.requested).toBe('auto');
    expect(info.backend).toBe('wasm');
    expect(info.fallbacks.map((f) => f.backend)).toEqual(['tensorflow', 'webgpu']);
    expect(info.fallbacks[0]?.reason.length).toBeGreaterThan(0);
    expect(info.fallbacks[1]?.reason).toMatch(/no hardware Vulkan driver/);
  });

  it('without WebGPU allowed (the server, train), auto never tries it', async () => {
    const info = await initEngine({ env: {}, webgpu: false });
    expect(info.fallbacks.map((f) => f.backend)).not.toContain('webgpu');
  });
});

describe('registerWasmTrainingKernels', () => {
  it('is idempotent and provides the kernels training needs', () => {
    registerWasmTrainingKernels();
    const first = tf.getKernel('Conv2DBackpropFilter', 'wasm');
    registerWasmTrainingKernels();
    expect(first).toBeDefined();
    expect(tf.getKernel('Conv2DBackpropFilter', 'wasm')?.kernelFunc).toBe(first?.kernelFunc);
  });
});
