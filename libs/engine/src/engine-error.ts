import { CodedError } from '@dtrain/common';

/** Stable codes for engine failures; callers branch on these, never on message text. */
export type EngineErrorCode = 'ENGINE_ERR_BACKEND_UNAVAILABLE' | 'ENGINE_ERR_BAD_BACKEND' | 'ENGINE_ERR_UNSUPPORTED';

export class EngineError extends CodedError<EngineErrorCode> {}
