/** Names of the built-in models. 'cnn' is the model of record (the one benchmarked against PyTorch). */
export type ModelName = 'cnn' | 'cnn-large';

/** A window's side or its [height, width]. */
export type Size2 = number | [number, number];
export type Padding = 'valid' | 'same';
/** Activations a layer may apply (softmax only as the model's last step, where the loss takes logits). */
export type ActivationName = 'relu' | 'relu6' | 'linear' | 'sigmoid' | 'tanh' | 'elu' | 'softmax';

/**
 * Every layer has a unique `name`. `inputs` names the layers it reads ('input' is the model's
 * input); absent, it reads the layer before it (the model's input for the first), so a plain list
 * is a Sequential model and `inputs` makes a graph (residual adds, concatenations). Layers are
 * listed in an order where each comes after the layers it reads.
 */
export type LayerSpec = (
  | { kind: 'conv2d'; filters: number; kernelSize: Size2; strides?: Size2; padding?: Padding; activation?: ActivationName; useBias?: boolean }
  | { kind: 'depthwiseConv2d'; kernelSize: Size2; depthMultiplier?: number; strides?: Size2; padding?: Padding; activation?: ActivationName; useBias?: boolean }
  | { kind: 'separableConv2d'; filters: number; kernelSize: Size2; depthMultiplier?: number; strides?: Size2; padding?: Padding; activation?: ActivationName; useBias?: boolean }
  | { kind: 'batchNorm'; momentum?: number; epsilon?: number; center?: boolean; scale?: boolean }
  | { kind: 'maxPool2d'; poolSize: Size2; strides?: Size2; padding?: Padding }
  | { kind: 'avgPool2d'; poolSize: Size2; strides?: Size2; padding?: Padding }
  | { kind: 'globalAvgPool2d' }
  | { kind: 'globalMaxPool2d' }
  | { kind: 'zeroPadding2d'; padding: [[number, number], [number, number]] }
  | { kind: 'activation'; activation: ActivationName }
  | { kind: 'add' }
  | { kind: 'concatenate' }
  | { kind: 'flatten' }
  | { kind: 'reshape'; targetShape: number[] }
  | { kind: 'dense'; units: number; activation?: ActivationName; useBias?: boolean }
  | { kind: 'dropout'; rate: number }
) & { name: string; inputs?: string[] };

/** The name `inputs` uses for the model's input. */
export const MODEL_INPUT = 'input';

/** Plain JSON (it travels to workers and into model.json), so it holds no functions or tensors. */
export interface ModelConfig {
  name: ModelName | string;
  inputShape: [number, number, number];
  numClasses: number;
  layers: LayerSpec[];
}

/** MNIST / Fashion-MNIST geometry: 28×28 grey images, 10 classes. */
const DEFAULT_INPUT: [number, number, number] = [28, 28, 1];
const DEFAULT_CLASSES = 10;

/**
 * 'cnn' mirrors PyTorch's nn.Conv2d(1,32,3)→ReLU→MaxPool2d(2)→nn.Conv2d(32,64,3)→ReLU→MaxPool2d(2)→
 * Linear(1600,128)→ReLU→Linear(128,10) ('valid' padding; ≈225k parameters), so throughput compares
 * like with like. 'cnn-large' is the wider, deeper variant with dropout (≈1.7M parameters).
 */
export function modelConfig(name: ModelName, numClasses: number = DEFAULT_CLASSES): ModelConfig {
  if (name === 'cnn') {
    return {
      name,
      inputShape: [...DEFAULT_INPUT],
      numClasses,
      layers: [
        { kind: 'conv2d', name: 'conv1', filters: 32, kernelSize: 3, padding: 'valid', activation: 'relu' },
        { kind: 'maxPool2d', name: 'pool1', poolSize: 2 },
        { kind: 'conv2d', name: 'conv2', filters: 64, kernelSize: 3, padding: 'valid', activation: 'relu' },
        { kind: 'maxPool2d', name: 'pool2', poolSize: 2 },
        { kind: 'flatten', name: 'flatten' },
        { kind: 'dense', name: 'fc1', units: 128, activation: 'relu' },
        { kind: 'dense', name: 'logits', units: numClasses, activation: 'softmax' },
      ],
    };
  }
  return {
    name,
    inputShape: [...DEFAULT_INPUT],
    numClasses,
    layers: [
      { kind: 'conv2d', name: 'conv1', filters: 64, kernelSize: 3, padding: 'same', activation: 'relu' },
      { kind: 'conv2d', name: 'conv2', filters: 64, kernelSize: 3, padding: 'same', activation: 'relu' },
      { kind: 'maxPool2d', name: 'pool1', poolSize: 2 },
      { kind: 'conv2d', name: 'conv3', filters: 128, kernelSize: 3, padding: 'same', activation: 'relu' },
      { kind: 'maxPool2d', name: 'pool2', poolSize: 2 },
      { kind: 'dropout', name: 'drop1', rate: 0.25 },
      { kind: 'flatten', name: 'flatten' },
      { kind: 'dense', name: 'fc1', units: 256, activation: 'relu' },
      { kind: 'dropout', name: 'drop2', rate: 0.5 },
      { kind: 'dense', name: 'logits', units: numClasses, activation: 'softmax' },
    ],
  };
}
