import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu';

/** The browser backends a tab tries, fastest first; the first that initialises trains. */
export const BROWSER_BACKENDS = ['webgpu', 'webgl', 'cpu'] as const;
export type BrowserBackend = (typeof BROWSER_BACKENDS)[number];

/**
 * Picks the first backend of `order` that initialises here (WebGPU needs a GPU adapter, WebGL a
 * context; cpu always works). `?backend=` in the page URL narrows it to one.
 */
export async function pickBackend(order: readonly BrowserBackend[] = BROWSER_BACKENDS): Promise<BrowserBackend> {
  for (const name of order) {
    try {
      if (await tf.setBackend(name)) {
        await tf.ready();
        return name;
      }
    } catch {
      // Not available in this browser: try the next one.
    }
  }
  throw new Error(`none of ${order.join(', ')} initialised in this browser`);
}
