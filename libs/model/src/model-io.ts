import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { ModelConfig } from './model-config';
import { completeTopology, configFromModel } from './config-from-model';
import { configFromTopology } from './config-from-topology';
import { recalledConfig, rememberConfig } from './config-registry';
import { buildModel, checkModelSize } from './build-model';
import { ModelError } from './model-error';
import { validateModelConfig } from './validate-model-config';

/** File names match what tfjs-node's file:// handler writes, so either side can read the other's output. */
const MODEL_JSON = 'model.json';
const WEIGHTS_BIN = 'weights.bin';
/** Key under model.json's userDefinedMetadata where our config and caller metadata live. */
const META_KEY = 'dtrain';

/** Writes via a temporary file and a rename; a failed write (a full disk) leaves no temporary file behind. */
async function writeAtomic(file: string, data: string | Uint8Array): Promise<void> {
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
  try {
    await fs.writeFile(tmp, data);
    await fs.rename(tmp, file);
  } catch (err) {
    await fs.rm(tmp, { force: true });
    throw err;
  }
}

/**
 * Saves in the standard TF.js layers format (model.json + weights.bin) through tf.io.withSaveHandler,
 * because file:// handlers need tfjs-node. Our ModelConfig and `meta` ride along in
 * userDefinedMetadata.dtrain. Weights are written before model.json, each atomically, so a reader
 * never sees a model.json that points at missing weights.
 */
export async function saveModel(model: tf.LayersModel, dir: string, meta: Record<string, unknown> = {}, config?: ModelConfig): Promise<void> {
  const cfg = config ?? recalledConfig(model) ?? configFromModel(model);
  try {
    await fs.mkdir(dir, { recursive: true });
    await model.save(
      tf.io.withSaveHandler(async (artifacts) => {
        const weightData = artifacts.weightData === undefined ? new ArrayBuffer(0) : tf.io.CompositeArrayBuffer.join(artifacts.weightData);
        await writeAtomic(path.join(dir, WEIGHTS_BIN), new Uint8Array(weightData));
        const json: tf.io.ModelJSON = {
          modelTopology: completeTopology(model, artifacts.modelTopology as tf.io.ModelJSON['modelTopology']),
          format: artifacts.format ?? 'layers-model',
          generatedBy: artifacts.generatedBy ?? `TensorFlow.js tfjs-layers v${tf.version_layers}`,
          convertedBy: null,
          weightsManifest: [{ paths: [`./${WEIGHTS_BIN}`], weights: artifacts.weightSpecs ?? [] }],
          userDefinedMetadata: { [META_KEY]: { config: cfg, meta } },
        };
        await writeAtomic(path.join(dir, MODEL_JSON), JSON.stringify(json));
        return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
      }),
    );
  } catch (err) {
    throw new ModelError('MODEL_ERR_SAVE', `could not save model to ${dir}`, { dir }, { cause: err });
  }
}

/**
 * A topology without weights (what `model.toJSON()` gives): its layers, already read as a config,
 * are built with our seeded initialisation (Glorot-uniform kernels, zero biases, as TF.js's
 * defaults). TF.js never builds the topology itself, so it allocates nothing twice.
 */
function fromTopologyOnly(config: ModelConfig, seed?: number): { model: tf.LayersModel; config: ModelConfig; meta: Record<string, unknown> } {
  return { model: buildModel(config, seed === undefined ? {} : { seed }), config, meta: {} };
}

function loadError(dir: string, why: string, cause?: unknown): ModelError {
  return new ModelError('MODEL_ERR_LOAD', `cannot load model from ${dir}: ${why}`, { dir }, { cause });
}

/**
 * Loads a model saved by saveModel or by stock LayersModel.save (tfjs-node file://). Without our
 * metadata the config is derived from the layers. Missing or corrupt files throw MODEL_ERR_LOAD.
 */
export async function loadModel(
  location: string,
  opts: { seed?: number } = {},
): Promise<{ model: tf.LayersModel; config: ModelConfig; meta: Record<string, unknown> }> {
  // A directory holding model.json, or the JSON file itself (any name).
  const isFile = /\.json$/i.test(location);
  const dir = isFile ? path.dirname(location) : location;
  const file = isFile ? location : path.join(dir, MODEL_JSON);
  let json: tf.io.ModelJSON;
  try {
    json = JSON.parse(await fs.readFile(file, 'utf8')) as tf.io.ModelJSON;
  } catch (err) {
    throw loadError(dir, `${path.basename(file)} is missing or not JSON`, err);
  }
  if (typeof json !== 'object' || json === null || !json.modelTopology) throw loadError(dir, `${path.basename(file)} has no modelTopology`);
  // Read from the JSON and counted before TF.js builds (and allocates) anything.
  const planned = checkModelSize(configFromTopology(json.modelTopology));
  if (json.weightsManifest === undefined) return fromTopologyOnly(planned, opts.seed);
  if (!Array.isArray(json.weightsManifest)) throw loadError(dir, `${path.basename(file)} has a weightsManifest that is not an array`);
  const buffers: ArrayBuffer[] = [];
  const weightSpecs: tf.io.WeightsManifestEntry[] = [];
  for (const [i, group] of (json.weightsManifest as unknown[]).entries()) {
    const g = group as { paths?: unknown; weights?: unknown } | null;
    if (typeof g !== 'object' || g === null || !Array.isArray(g.paths) || !Array.isArray(g.weights) || !g.paths.every((p) => typeof p === 'string'))
      throw loadError(dir, `${MODEL_JSON} weightsManifest[${i}] needs a paths array of strings and a weights array`);
    weightSpecs.push(...(g.weights as tf.io.WeightsManifestEntry[]));
    for (const p of g.paths as string[]) {
      const file = path.resolve(dir, p);
      if (path.relative(dir, file).startsWith('..')) throw loadError(dir, `weights path ${p} escapes the model directory`);
      try {
        const b = await fs.readFile(file);
        buffers.push(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer);
      } catch (err) {
        throw loadError(dir, `weights file ${p} is missing`, err);
      }
    }
  }
  let model: tf.LayersModel;
  try {
    model = await tf.loadLayersModel(
      tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs, weightData: tf.io.concatenateArrayBuffers(buffers) }),
    );
  } catch (err) {
    throw loadError(dir, 'topology or weights are corrupt', err);
  }
  const ours = (json.userDefinedMetadata?.[META_KEY] ?? undefined) as { config?: unknown; meta?: Record<string, unknown> } | undefined;
  try {
    const config = ours?.config !== undefined ? validateModelConfig(ours.config) : configFromModel(model);
    rememberConfig(model, config);
    return { model, config, meta: ours?.meta ?? {} };
  } catch (err) {
    model.dispose();
    throw loadError(dir, 'model config is invalid', err);
  }
}
