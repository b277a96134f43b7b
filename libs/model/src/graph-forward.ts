import * as tf from '@tensorflow/tfjs';
import { ModelError } from './model-error';

/**
 * How the model's last layer turns its input into logits (the loss applies the softmax itself, as a
 * stable fused softmax-CE). Checked once, when the pass is made, not on every step.
 */
function logitsOf(layer: tf.layers.Layer): (input: tf.Tensor) => tf.Tensor {
  const cls = layer.getClassName();
  const activation = String((layer.getConfig() as { activation?: unknown }).activation ?? 'linear');
  if (activation !== 'softmax') throw new ModelError('MODEL_ERR_BAD_CONFIG', `the last layer (${layer.name}) must apply softmax`, { layer: layer.name });
  if (cls === 'Activation') return (input) => input;
  if (cls !== 'Dense') throw new ModelError('MODEL_ERR_BAD_CONFIG', `the last layer (${layer.name}) is a ${cls}; a Dense or Activation layer with softmax is needed`, { layer: layer.name });
  const [kernel, bias] = layer.weights;
  return (input) => tf.fused.matMul({ a: input as tf.Tensor2D, b: (kernel as tf.LayerVariable).read() as tf.Tensor2D, bias: bias?.read(), activation: 'linear' });
}

/** One layer of the graph and the names of the layers it reads. */
interface Node {
  layer: tf.layers.Layer;
  inputs: string[];
  dropout: number | undefined;
}

/**
 * The forward pass of any LayersModel of single-use layers (Sequential or functional: residual adds,
 * concatenations, batch norm), eagerly, layer by layer over the model's own variables, so
 * tf.variableGrads sees them. Dropout masks are seeded (per layer) so runs are reproducible; batch
 * norm uses the batch's statistics when training (its moving statistics are not trained state: see
 * recalibrateBatchNorm). The last layer's softmax is left out: the loss takes logits.
 */
export function createGraphForwardPass(model: tf.LayersModel): { logits(x: tf.Tensor4D, training: { dropoutSeed: number } | undefined): tf.Tensor2D } {
  const inputName = model.inputLayers[0]?.name;
  if (model.inputLayers.length !== 1 || model.outputLayers.length !== 1 || inputName === undefined)
    throw new ModelError('MODEL_ERR_BAD_CONFIG', `the model has ${model.inputLayers.length} inputs and ${model.outputLayers.length} outputs; one of each is supported`);
  const output = model.outputLayers[0] as tf.layers.Layer;
  const toLogits = logitsOf(output);
  const nodes: Node[] = [];
  for (const layer of model.layers) {
    if (layer.getClassName() === 'InputLayer') continue;
    if (layer.inboundNodes.length !== 1) throw new ModelError('MODEL_ERR_BAD_CONFIG', `layer ${layer.name} is used ${layer.inboundNodes.length} times; shared layers are not supported`, { layer: layer.name });
    const inputs = (layer.inboundNodes[0] as { inboundLayers: tf.layers.Layer[] }).inboundLayers.map((l) => l.name);
    const dropout = layer.getClassName() === 'Dropout' ? ((layer.getConfig() as { rate: number }).rate ?? 0) : undefined;
    nodes.push({ layer, inputs, dropout });
  }
  return {
    logits(x, training) {
      const values = new Map<string, tf.Tensor>([[inputName, x]]);
      nodes.forEach((n, i) => {
        const ins = n.inputs.map((name) => values.get(name) as tf.Tensor);
        const arg = ins.length === 1 ? (ins[0] as tf.Tensor) : ins;
        let out: tf.Tensor;
        if (n.layer === output) out = toLogits(arg as tf.Tensor);
        else if (n.dropout !== undefined) out = training && n.dropout > 0 ? tf.dropout(arg as tf.Tensor, n.dropout, undefined, training.dropoutSeed + i) : (arg as tf.Tensor);
        else out = n.layer.apply(arg, { training: training !== undefined }) as tf.Tensor;
        values.set(n.layer.name, out);
      });
      return values.get(output.name) as tf.Tensor2D;
    },
  };
}
