import * as tf from '@tensorflow/tfjs';
// Registers the stock wasm kernels first (without starting the wasm runtime), so ours always
// replace them rather than being overwritten by a later import of the backend.
import '@tensorflow/tfjs-backend-wasm';
import { conv2DBackpropFilterConfig } from './conv2d-backprop-filter';
import { conv2DBackpropInputConfig } from './conv2d-backprop-input';
import { conv2DConfig } from './conv2d';
import { depthwiseConv2dNativeBackpropFilterConfig } from './depthwise-conv2d-backprop-filter';
import { depthwiseConv2dNativeBackpropInputConfig } from './depthwise-conv2d-backprop-input';
import { convReluPoolBackpropConfig, convReluPoolConfig, convReluPoolGradConfig } from './conv-relu-pool';
import { reluPoolConfig, reluPoolGradConfig, reluPoolGradKernelConfig } from './relu-pool';
import { fusedConv2DConfig } from './fused-conv2d';
import { addConfig } from './add';
import { batchMatMulConfig } from './batch-mat-mul';
import { castConfig } from './cast';
import { identityConfig } from './identity';
import { maxPoolGradConfig } from './max-pool-grad';
import { sumConfig } from './sum';
import { meanConfig } from './mean';
import { originalKernels } from './wasm-memory';

/** Kernels training needs that wasm lacks, and measured-faster replacements of stock ones. */
const TRAINING_KERNELS: tf.KernelConfig[] = [
  conv2DConfig,
  fusedConv2DConfig,
  conv2DBackpropFilterConfig,
  conv2DBackpropInputConfig,
  // missing from tfjs-backend-wasm 4.22: depthwise and separable convs could not train
  depthwiseConv2dNativeBackpropFilterConfig,
  depthwiseConv2dNativeBackpropInputConfig,
  maxPoolGradConfig,
  batchMatMulConfig,
  sumConfig,
  meanConfig,
  addConfig,
  identityConfig,
  castConfig,
  // our own fused blocks, reached through convReluPool() (conv1 → ReLU → pool1) and reluPool() (ReLU → pool2)
  convReluPoolConfig,
  convReluPoolBackpropConfig,
  reluPoolConfig,
  reluPoolGradKernelConfig,
];

/** Gradients of our own kernels (registered once; TF.js keeps gradients per kernel name, for every backend). */
const GRADIENTS: tf.GradConfig[] = [convReluPoolGradConfig, reluPoolGradConfig];

/**
 * Idempotent. Registers (or replaces) our wasm training kernels; the stock ones are kept in
 * `originalKernels` so a replacement can fall back for configurations it does not cover.
 */
export function registerWasmTrainingKernels(): void {
  for (const config of TRAINING_KERNELS) {
    const current = tf.getKernel(config.kernelName, 'wasm');
    if (current?.kernelFunc === config.kernelFunc) continue;
    if (current) {
      if (!originalKernels.has(config.kernelName)) originalKernels.set(config.kernelName, current);
      tf.unregisterKernel(config.kernelName, 'wasm');
    }
    // The stock kernel's setup (it binds its wasm export) runs only for registered kernels when the
    // backend initialises; ours forwards it so the stock fallback works if we registered first.
    const stockSetup = originalKernels.get(config.kernelName)?.setupFunc;
    tf.registerKernel(stockSetup ? { ...config, setupFunc: stockSetup } : config);
  }
  for (const grad of GRADIENTS) {
    const current = tf.getGradient(grad.kernelName);
    if (current === grad) continue;
    if (current) tf.unregisterGradient(grad.kernelName);
    tf.registerGradient(grad);
  }
}
