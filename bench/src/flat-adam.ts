/** Adam hyper-parameters of the PyTorch peer (torch.optim.Adam defaults, lr 1e-3), so both sides do the same work. */
export const ADAM_DEFAULTS = { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8 };

/** Minimal in-place Adam over flat arrays: the update a worker or the server would apply per step. */
export function createFlatAdam(size: number, opts = ADAM_DEFAULTS): (weights: Float32Array, grads: Float32Array) => void {
  const m = new Float32Array(size);
  const v = new Float32Array(size);
  let t = 0;
  return (weights, grads) => {
    t++;
    const { lr, beta1, beta2, eps } = opts;
    const c1 = 1 - beta1 ** t;
    const c2 = 1 - beta2 ** t;
    const stepSize = lr / c1;
    const sqrtC2 = Math.sqrt(c2);
    for (let i = 0; i < size; i++) {
      const g = grads[i] as number;
      const mi = beta1 * (m[i] as number) + (1 - beta1) * g;
      const vi = beta2 * (v[i] as number) + (1 - beta2) * g * g;
      m[i] = mi;
      v[i] = vi;
      weights[i] = (weights[i] as number) - (stepSize * mi) / (Math.sqrt(vi) / sqrtC2 + eps);
    }
  };
}
