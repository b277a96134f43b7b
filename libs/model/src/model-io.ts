import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { ModelConfig } from './model-config';
import { configFromModel } from './config-from-model';
import { recalledConfig, rememberConfig } from './config-registry';
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
          modelTopology: artifacts.modelTopology as tf.io.ModelJSON['modelTopology'],
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

function loadError(dir: string, why: string, cause?: unknown): ModelError {
  return new ModelError('MODEL_ERR_LOAD', `cannot load model from ${dir}: ${why}`, { dir }, { cause });
}

/**
 * Loads a model saved by saveModel or by stock LayersModel.save (tfjs-node file://). Without our
 * metadata the config is derived from the layers. Missing or corrupt files throw MODEL_ERR_LOAD.
 */
export async function loadModel(dir: string): Promise<{ model: tf.LayersModel; config: ModelConfig; meta: Record<string, unknown> }> {
  let json: tf.io.ModelJSON;
  try {
    json = JSON.parse(await fs.readFile(path.join(dir, MODEL_JSON), 'utf8')) as tf.io.ModelJSON;
  } catch (err) {
    throw loadError(dir, `${MODEL_JSON} is missing or not JSON`, err);
  }
  if (typeof json !== 'object' || json === null || !json.modelTopology || !Array.isArray(json.weightsManifest)) {
    throw loadError(dir, `${MODEL_JSON} has no modelTopology / weightsManifest`);
  }
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
