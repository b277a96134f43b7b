import type { ModelConfig } from '@dtrain/model';
import { ConfigError } from './run-config';

/**
 * Refuses, before any training, a model whose input is not the dataset's image shape or whose
 * output is not its class count (CONFIG_ERR_BAD_VALUE, field 'dataset'): otherwise the first batch
 * would fail in a worker, far from the cause. `classesHint` is added to the class-count message.
 */
export function checkModelFitsData(config: ModelConfig, ds: { rows: number; cols: number; channels: number; numClasses: number }, classesHint = ''): void {
  const [h, w, c] = config.inputShape;
  if (h !== ds.rows || w !== ds.cols || c !== ds.channels)
    throw new ConfigError('CONFIG_ERR_BAD_VALUE', `the model takes ${h}×${w}×${c} inputs, the dataset has ${ds.rows}×${ds.cols}×${ds.channels} images`, { field: 'dataset' });
  if (config.numClasses !== ds.numClasses)
    throw new ConfigError('CONFIG_ERR_BAD_VALUE', `the model has ${config.numClasses} classes, the dataset ${ds.numClasses}${classesHint}`, { field: 'dataset' });
}
