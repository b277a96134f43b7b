import type { AdamOptions } from '@dtrain/training';

/**
 * Adam as the PyTorch peer runs it (torch.optim.Adam defaults: lr 1e-3, β 0.9 / 0.999, ε 1e-8), so
 * both sides do the same work. The product's optimizer computes m̂ / (√v̂ + ε), which is torch's
 * m / (√v / √(1 − β2ᵗ) + ε) · 1 / (1 − β1ᵗ) rearranged.
 */
export const PEER_ADAM: AdamOptions = { learningRate: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-8 };
