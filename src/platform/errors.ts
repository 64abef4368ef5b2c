/**
 * Typed errors. Each carries the HTTP status it maps to; one place (the HTTP layer) turns them
 * into responses. Messages are safe to show to a caller: no stack, no secrets.
 */
export class ServiceError extends Error {
  /** Response headers that go with this error (e.g. Retry-After, WWW-Authenticate). */
  headers: Record<string, string> = {};

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

/** 422: a well-formed request the service cannot serve under Da Vinci CRD (e.g. a CRD version it does not speak). */
export class UnprocessableError extends ServiceError {
  constructor(message: string) {
    super(422, 'processing', message);
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

/**
 * 412 as well, but a technical failure of the EHR's FHIR server (an error status, a timeout, an
 * answer too large or malformed): under CRD 2.2 the order is annotated "indeterminate" with the
 * reason "technical" instead, when the Coverage is known.
 */
export class FhirTechnicalError extends DataUnavailableError {}

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

/** 401: the caller is not an authenticated, trusted CDS client. Says nothing more, on purpose. */
export class UnauthorizedError extends ServiceError {
  constructor(
    /** Why, for the log only; never sent to the caller. */
    readonly reason: string,
  ) {
    super(401, 'unauthorized', 'authentication required');
    this.headers = { 'WWW-Authenticate': 'Bearer' };
  }
}

/** 429: this client sent more requests than its rate limit allows. */
export class TooManyRequestsError extends ServiceError {
  constructor(retryAfterSeconds: number) {
    super(429, 'rate-limited', 'too many requests; retry later');
    this.headers = { 'Retry-After': String(Math.max(1, Math.ceil(retryAfterSeconds))) };
  }
}

/** 503: the decisions behind an answer could not be committed, so the answer is withheld. */
export class UnrecordedError extends ServiceError {
  constructor() {
    super(
      503,
      'unrecorded',
      'the decision could not be recorded, so it is not given; retry shortly',
    );
    this.headers = { 'Retry-After': '1' };
  }
}

/** 503: all evaluation slots and the bounded queue are taken. */
export class BusyError extends ServiceError {
  constructor(retryAfterSeconds = 1) {
    super(503, 'busy', 'the service is busy; retry shortly');
    this.headers = { 'Retry-After': String(retryAfterSeconds) };
  }
}
