/**
 * Typed errors. Each carries the HTTP status it maps to; one place (the HTTP layer) turns them
 * into responses. Messages are safe to show to a caller: no stack, no secrets.
 */
export class ServiceError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** 400: the request or the input file is not what the service accepts. */
export class BadRequestError extends ServiceError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(400, 'bad-request', message, options);
  }
}

/** 404: no such service or policy. */
export class NotFoundError extends ServiceError {
  constructor(message: string) {
    super(404, 'not-found', message);
  }
}

/** Content that cannot be loaded (a policy, a value set, ELM): stops startup, names the file. */
export class ContentError extends Error {
  constructor(
    readonly file: string,
    message: string,
  ) {
    super(`${file}: ${message}`);
    this.name = 'ContentError';
  }
}

/** A policy's CQL failed while evaluating; the message names the policy and library. */
export class EvaluationError extends Error {
  constructor(
    readonly policyId: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${policyId}: ${message}`, options);
    this.name = 'EvaluationError';
  }
}

/** 412: the data the policies need could neither be found in prefetch nor fetched. */
export class DataUnavailableError extends ServiceError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(412, 'data-unavailable', message, options);
  }
}

/** 413: the request body is larger than the configured limit. */
export class PayloadTooLargeError extends ServiceError {
  constructor(message: string) {
    super(413, 'too-large', message);
  }
}

/** 415: the request body is not JSON. */
export class UnsupportedMediaTypeError extends ServiceError {
  constructor(message: string) {
    super(415, 'unsupported-media-type', message);
  }
}
