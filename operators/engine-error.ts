// Errors raised by the pure engine: a stable code, a message and a hint, as in the daemon's error catalog.

/** Codes the engine raises. The daemon's catalog (daemon/errors.ts) includes these. */
export type EngineErrorCode =
  | 'SLUICE_ENGINE_INVALID_DURATION'
  | 'SLUICE_ENGINE_MISSING_BATCH'
  | 'SLUICE_ENGINE_NULL_TRANSFORM'
  | 'SLUICE_ENGINE_TIME_ORDER'
  | 'SLUICE_ENGINE_LIFECYCLE'
  | 'SLUICE_ENGINE_STATE'
  | 'SLUICE_ENGINE_DUPLICATE_NAME'
  | 'SLUICE_ENGINE_CHECKPOINT';

export class EngineError extends Error {
  override readonly name = 'EngineError';
  constructor(
    readonly code: EngineErrorCode,
    message: string,
    readonly hint?: string,
  ) {
    super(message);
  }
}
