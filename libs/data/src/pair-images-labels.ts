import { IDX_LABEL_DIMS } from './constants';
import { DataError } from './data-error';
import type { Dataset } from './dataset';
import { idxImageShape } from './idx-image-shape';
import type { IdxArray } from './parse-idx';

/**
 * Joins an images IDX ([count, rows, cols] or [count, rows, cols, channels]) and a labels IDX
 * ([count]) into a Dataset, checking that they describe the same samples and that every label names
 * one of `classNames`. `imagesFile` names the images in shape errors (default `name`).
 */
export function pairImagesLabels(images: IdxArray, labels: IdxArray, name: string, classNames: readonly string[], imagesFile = name): Dataset {
  const { count, rows, cols, channels } = idxImageShape(images, imagesFile);
  if (labels.dims.length !== IDX_LABEL_DIMS) {
    throw new DataError('DATA_ERR_BAD_DIMS', `${name}: labels have ${labels.dims.length} dims, expected ${IDX_LABEL_DIMS}`, { dims: labels.dims });
  }
  const labelCount = labels.dims[0] ?? 0;
  if (count !== labelCount) {
    throw new DataError('DATA_ERR_MISMATCH', `${name}: ${count} images but ${labelCount} labels`, { images: count, labels: labelCount });
  }
  if (labels.data.length !== count) {
    throw new DataError('DATA_ERR_BAD_DIMS', `${name}: data length disagrees with dims`, { dims: labels.dims });
  }
  const numClasses = classNames.length;
  for (let i = 0; i < count; i++) {
    const l = labels.data[i] ?? 0;
    if (l >= numClasses) {
      throw new DataError('DATA_ERR_BAD_LABEL', `${name}: sample ${i} has label ${l}, but there are ${numClasses} classes`, { index: i, label: l, numClasses });
    }
  }
  return { name, images: images.data, labels: labels.data, count, rows, cols, channels, numClasses, classNames: [...classNames] };
}
