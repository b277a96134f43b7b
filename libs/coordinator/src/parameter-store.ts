import type { Optimizer, OptimizerState } from '@dtrain/training';
import { checksum, createOptimizer } from '@dtrain/training';

export interface ParameterStoreState {
  version: number;
  weights: Float32Array;
  optimizer: OptimizerState;
}

/**
 * The global weights and the optimizer that owns their state. Each applied update bumps `version`;
 * gradients are always the mean gradient of one step (already aggregated).
 */
export class ParameterStore {
  readonly weights: Float32Array;
  private optimizer: Optimizer;
  private _version: number;
  private cachedChecksum: { version: number; value: string } | undefined;

  constructor(
    weights: Float32Array,
    private readonly spec: { kind: 'adam' | 'sgd'; learningRate: number },
    private readonly mask: Uint8Array | undefined,
    restored?: { version: number; optimizer: OptimizerState },
  ) {
    this.weights = weights;
    this.optimizer = createOptimizer(spec, weights.length, restored?.optimizer);
    this._version = restored?.version ?? 0;
  }

  get version(): number {
    return this._version;
  }

  /** The learning rate the optimizer was created with (a schedule's base). */
  get baseLearningRate(): number {
    return this.spec.learningRate;
  }

  get size(): number {
    return this.weights.length;
  }

  /** One update; `learningRate` (a schedule's value for this step) replaces the base rate if given. */
  apply(meanGradient: Float32Array, learningRate?: number): number {
    if (learningRate !== undefined) this.optimizer.learningRate = learningRate;
    this.optimizer.apply(this.weights, meanGradient, this.mask);
    return ++this._version;
  }

  /**
   * Sharded: an update the shards make (this store keeps the version; its weights are a replica,
   * brought up to date by `adopt` when they are read).
   */
  advance(): number {
    return ++this._version;
  }

  /** Sharded: the weights gathered from the shards at the current version. */
  adopt(weights: Float32Array): void {
    this.weights.set(weights);
    this.cachedChecksum = undefined;
  }

  /** The weights' checksum, computed once per version (health probes ask for it on every request). */
  checksum(): string {
    if (this.cachedChecksum?.version !== this._version) this.cachedChecksum = { version: this._version, value: checksum(this.weights) };
    return this.cachedChecksum.value;
  }

  snapshot(): ParameterStoreState {
    const st = this.optimizer.state();
    const slots: Record<string, Float32Array> = {};
    for (const [k, v] of Object.entries(st.slots)) slots[k] = v.slice();
    return { version: this._version, weights: this.weights.slice(), optimizer: { ...st, slots } };
  }

  restore(s: ParameterStoreState): void {
    this.weights.set(s.weights);
    this.optimizer = createOptimizer(this.spec, this.weights.length, s.optimizer);
    this._version = s.version;
    this.cachedChecksum = undefined;
  }
}
