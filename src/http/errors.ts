import type { NextFunction, Request, Response } from 'express';
import { BadRequestError, PayloadTooLargeError, ServiceError, UnsupportedMediaTypeError } from '../platform/errors';
import type { Logger } from '../platform/log';

const ISSUE_CODE: Record<number, string> = {
  400: 'invalid', 401: 'login', 404: 'not-found', 405: 'not-supported', 408: 'timeout', 412: 'incomplete', 413: 'too-costly', 415: 'not-supported',
  429: 'throttled', 500: 'exception', 503: 'transient',
};

/** The body of every error response: a FHIR OperationOutcome with one issue. */
export function operationOutcome(status: number, message: string) {
  return { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: ISSUE_CODE[status] ?? 'processing', diagnostics: message }] };
}

/** Errors of express's body parser, as typed service errors. */
function fromBodyParser(e: Error & { type?: string }, bodyLimitBytes: number): Error {
  switch (e?.type) {
    case 'entity.too.large':
      return new PayloadTooLargeError(`the body is larger than ${bodyLimitBytes} bytes (BODY_LIMIT)`);
    case 'entity.parse.failed':
      return new BadRequestError('the body is not valid JSON');
    case 'charset.unsupported':
    case 'encoding.unsupported':
      return new UnsupportedMediaTypeError('unsupported body charset or encoding');
    case 'request.aborted':
    case 'request.size.invalid':
      return new BadRequestError('the body could not be read');
    default:
      return e;
  }
}

/**
 * The one place errors become responses: typed errors keep their status and message; parser
 * errors are mapped; anything else is a fixed 500 with the detail only in the log.
 */
export function errorHandler(log: Logger, bodyLimitBytes: number) {
  return (err: unknown, req: Request, res: Response, _next: NextFunction): void => {
    const e = fromBodyParser(err as Error, bodyLimitBytes);
    if (e instanceof ServiceError) {
      const reason = (e as { reason?: string }).reason;
      if (e.status >= 500 && e.status !== 503) log.error('request-failed', { path: req.path, status: e.status, error: e.message });
      else log.info('request-rejected', { path: req.path, status: e.status, code: e.code, error: e.message, ...(reason ? { reason } : {}) });
      for (const [k, v] of Object.entries(e.headers)) res.setHeader(k, v);
      res.status(e.status).json(operationOutcome(e.status, e.message));
      return;
    }
    log.error('unexpected-error', { path: req.path, error: e?.message ?? String(err), stack: e?.stack });
    res.status(500).json(operationOutcome(500, 'internal error; see the service log'));
  };
}
