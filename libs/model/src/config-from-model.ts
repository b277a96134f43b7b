import type * as tf from '@tensorflow/tfjs';
import type { LayerSpec, ModelConfig } from './model-config';
import { ModelError } from './model-error';

const first = (v: unknown): number => (Array.isArray(v) ? (v[0] as number) : (v as number));

/** Recovers a ModelConfig from a Sequential LayersModel (e.g. one saved by stock tf.LayersModel.save). */
export function configFromModel(model: tf.LayersModel): ModelConfig {
  const layers: LayerSpec[] = model.layers.map((layer) => {
    const c = layer.getConfig() as Record<string, unknown>;
    const name = layer.name;
    switch (layer.getClassName()) {
      case 'Conv2D':
        return { kind: 'conv2d', name, filters: c.filters as number, kernelSize: first(c.kernelSize), strides: first(c.strides), padding: c.padding as 'valid' | 'same', activation: c.activation as 'relu' | 'linear' };
      case 'MaxPooling2D':
        return { kind: 'maxPool2d', name, poolSize: first(c.poolSize), strides: first(c.strides ?? c.poolSize) };
      case 'Flatten':
        return { kind: 'flatten', name };
      case 'Dense':
        return { kind: 'dense', name, units: c.units as number, activation: c.activation as 'relu' | 'softmax' | 'linear' };
      case 'Dropout':
        return { kind: 'dropout', name, rate: c.rate as number };
      default:
        throw new ModelError('MODEL_ERR_BAD_CONFIG', `layer ${name} (${layer.getClassName()}) has no LayerSpec`);
    }
  });
  const shape = model.inputs[0]?.shape.slice(1) as [number, number, number];
  const last = layers[layers.length - 1];
  const numClasses = last?.kind === 'dense' ? last.units : 0;
  return { name: model.name, inputShape: [shape[0], shape[1], shape[2]], numClasses, layers };
}
