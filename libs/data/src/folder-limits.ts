import { DEFAULT_MAX_FOLDER_BYTES, FOLDER_SKIPPED_LISTED, MAX_FOLDER_IMAGE_FILE_BYTES, MAX_FOLDER_IMAGE_PIXELS } from './constants';
import { DataError } from './data-error';

/** The bounds of a `folder:` load; each defaults to its constant (LoadOptions.folder overrides). */
export interface FolderLimits {
  /** Pixels one image may have, read from its header before decoding (and the most size= may ask). Default MAX_FOLDER_IMAGE_PIXELS. */
  maxImagePixels: number;
  /** Bytes one image file may have before it is read. Default MAX_FOLDER_IMAGE_FILE_BYTES. */
  maxImageFileBytes: number;
  /** Bytes of the decoded dataset, both splits, checked before decoding. Default DEFAULT_MAX_FOLDER_BYTES. */
  maxBytes: number;
  /** Skipped images named in the result (all are counted). Default FOLDER_SKIPPED_LISTED. */
  maxSkippedListed: number;
}

/** `given` over the defaults; a limit that is not a positive integer (0 for maxSkippedListed) is DATA_ERR_BAD_SPEC. */
export function folderLimits(given: Partial<FolderLimits> = {}): FolderLimits {
  const l: FolderLimits = {
    maxImagePixels: given.maxImagePixels ?? MAX_FOLDER_IMAGE_PIXELS,
    maxImageFileBytes: given.maxImageFileBytes ?? MAX_FOLDER_IMAGE_FILE_BYTES,
    maxBytes: given.maxBytes ?? DEFAULT_MAX_FOLDER_BYTES,
    maxSkippedListed: given.maxSkippedListed ?? FOLDER_SKIPPED_LISTED,
  };
  for (const [k, v] of Object.entries(l)) {
    const min = k === 'maxSkippedListed' ? 0 : 1;
    if (!Number.isSafeInteger(v) || v < min) throw new DataError('DATA_ERR_BAD_SPEC', `folder.${k} must be an integer ≥ ${min}, got ${String(v)}`, { [k]: v });
  }
  return l;
}
