import { CodedError } from '@dtrain/common';

/** Every error code this library throws; callers branch on these, never on message text. */
export type TrainingErrorCode =
  /** A compression spec string or object is not one of the supported codecs. */
  | 'TRAIN_ERR_BAD_COMPRESSION'
  /** An encoded tensor (usually from the network) is malformed: structure, sizes, values, indices. */
  | 'TRAIN_ERR_BAD_TENSOR'
  /** Two arrays that must have the same length do not. */
  | 'TRAIN_ERR_SIZE_MISMATCH'
  /** An optimizer spec, hyper-parameter or restored optimizer state is invalid. */
  | 'TRAIN_ERR_BAD_OPTIMIZER'
  /** An aggregation weight is negative, zero where it must not be, or not finite. */
  | 'TRAIN_ERR_BAD_WEIGHT'
  /** A mean was asked of nothing (no parts, or a total weight of zero). */
  | 'TRAIN_ERR_EMPTY'
  /** A class label or class count is not an integer in range. */
  | 'TRAIN_ERR_BAD_LABEL';

export class TrainingError extends CodedError<TrainingErrorCode> {}

/** Throws TRAIN_ERR_SIZE_MISMATCH unless `actual === expected`; `what` names the array for the message. */
export function assertLength(what: string, actual: number, expected: number): void {
  if (actual !== expected) {
    throw new TrainingError('TRAIN_ERR_SIZE_MISMATCH', `${what} has length ${actual}, expected ${expected}`, {
      what,
      actual,
      expected,
    });
  }
}
