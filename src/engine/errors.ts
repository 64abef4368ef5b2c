/** A library failed while evaluating, or returned what its contract does not allow. */
export class EvaluationError extends Error {
  constructor(
    /** The policy or library that failed. */
    readonly subject: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${subject}: ${message}`, options);
    this.name = 'EvaluationError';
  }
}

/** The engine was handed input it cannot evaluate (no such library, no patient). */
export class EngineInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EngineInputError';
  }
}
