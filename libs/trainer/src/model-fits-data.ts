import type { ModelConfig } from '@dtrain/model';
import { ConfigError } from './run-config';

/** What a class-count mismatch tells the user, and which field it blames. */
export interface ClassesMismatch {
  /** Appended to the message (e.g. how to fix it). */
  hint: string;
  field: string;
}

/**
 * Refuses, before any training, a model whose input is not the dataset's image shape (field
 * 'dataset') or whose output is not its class count (CONFIG_ERR_BAD_VALUE): otherwise the first batch
 * would fail in a worker, far from the cause. `classes` says what the class-count error adds and
 * blames (fine-tuning points at --new-head).
 */
export function checkModelFitsData(
  config: ModelConfig,
  ds: { rows: number; cols: number; channels: number; numClasses: number },
  classes: ClassesMismatch = { hint: '', field: 'dataset' },
): void {
  const [h, w, c] = config.inputShape;
  if (h !== ds.rows || w !== ds.cols || c !== ds.channels)
    throw new ConfigError('CONFIG_ERR_BAD_VALUE', `the model takes ${h}×${w}×${c} inputs, the dataset has ${ds.rows}×${ds.cols}×${ds.channels} images`, { field: 'dataset' });
  if (config.numClasses !== ds.numClasses)
    throw new ConfigError('CONFIG_ERR_BAD_VALUE', `the model has ${config.numClasses} classes, the dataset ${ds.numClasses}${classes.hint}`, { field: classes.field });
}
