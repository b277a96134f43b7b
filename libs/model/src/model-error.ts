import { CodedError } from '@dtrain/common';

/** Stable codes for model failures; callers and tests branch on these, never on message text. */
export type ModelErrorCode = 'MODEL_ERR_BAD_CONFIG' | 'MODEL_ERR_UNSUPPORTED_LAYER' | 'MODEL_ERR_SIZE_MISMATCH' | 'MODEL_ERR_LOAD' | 'MODEL_ERR_SAVE' | 'MODEL_ERR_BAD_INPUT';

export class ModelError extends CodedError<ModelErrorCode> {}
