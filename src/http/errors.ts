import type { NextFunction, Request, Response } from 'express';
import {
  BadRequestError,
  PayloadTooLargeError,
  ServiceError,
  UnsupportedMediaTypeError,
} from '../platform/errors';
import type { Logger } from '../platform/log';

const ISSUE_CODE: Record<number, string> = {
  400: 'invalid',
  401: 'login',
  404: 'not-found',
  405: 'not-supported',
  408: 'timeout',
  412: 'incomplete',
  413: 'too-costly',
  415: 'not-supported',
  429: 'throttled',
  500: 'exception',
  503: 'transient',
};

/** The body of every error response: a FHIR OperationOutcome with one issue. */
export function operationOutcome(status: number, message: string) {
  return {
    resourceType: 'OperationOutcome',
    issue: [{ severity: 'error', code: ISSUE_CODE[status] ?? 'processing', diagnostics: message }],
  };
}

/** 413 for a body over the limit, read or declared. */
export function tooLarge(limitBytes: number): PayloadTooLargeError {
  return new PayloadTooLargeError(`the body is larger than ${limitBytes} bytes (BODY_LIMIT)`);
}

type ParserError = Error & {
  type?: string;
  status?: number;
  expose?: boolean;
  code?: unknown;
  limit?: number;
  charset?: string;
  encoding?: string;
};

/** A value the client sent, quoted and cut short, for a message. */
const quoted = (v: unknown) => JSON.stringify(String(v).slice(0, 40));

/** zlib and brotli report a damaged stream with codes such as Z_DATA_ERROR, Z_BUF_ERROR, ERR__ERROR_FORMAT_PADDING_1. */
function isDecodeError(e: ParserError): boolean {
  return typeof e.code === 'string' && /^(Z_|ERR__ERROR_|ERR_BROTLI)/.test(e.code);
}

/** Errors of express's body parser (and the inflating it does), as typed service errors. */
function fromBodyParser(e: ParserError, req: Request, bodyLimitBytes: number): Error {
  if (e instanceof ServiceError) return e;
  switch (e?.type) {
    case 'entity.too.large':
      return tooLarge(e.limit ?? bodyLimitBytes);
    case 'entity.parse.failed':
      return new BadRequestError('the body is not valid JSON');
    case 'charset.unsupported':
      return new UnsupportedMediaTypeError(
        `charset ${quoted(e.charset)} is not supported; send the body as UTF-8`,
      );
    case 'encoding.unsupported':
      return new UnsupportedMediaTypeError(
        `Content-Encoding ${quoted(e.encoding ?? req.headers['content-encoding'])} is not supported`,
      );
    case 'request.aborted':
    case 'request.size.invalid':
      return new BadRequestError('the body could not be read');
  }
  const coding = req.headers['content-encoding'] ?? 'identity';
  if (e?.status === 400 && (isDecodeError(e) || coding !== 'identity')) {
    return new BadRequestError(
      `Content-Encoding ${quoted(coding)} could not be decoded: the body is not valid ${coding.slice(0, 40)}`,
    );
  }
  // Any other client error raised by express or the parser (e.g. a path that is not valid percent-encoding).
  if (typeof e?.status === 'number' && e.status >= 400 && e.status < 500) {
    return new ServiceError(
      e.status,
      'client-error',
      e.expose === true ? e.message.slice(0, 200) : 'the request could not be read',
    );
  }
  return e;
}

/**
 * The one place errors become responses: typed errors keep their status and message; parser
 * errors are mapped; anything else is a fixed 500 with the detail only in the log.
 */
export function errorHandler(log: Logger, bodyLimitBytes: number) {
  return (err: unknown, req: Request, res: Response, _next: NextFunction): void => {
    const e = fromBodyParser(err as ParserError, req, bodyLimitBytes);
    if (e instanceof ServiceError) {
      const reason = (e as { reason?: string }).reason;
      if (e.status >= 500 && e.status !== 503)
        log.error('request-failed', { path: req.path, status: e.status, error: e.message });
      else
        log.info('request-rejected', {
          path: req.path,
          status: e.status,
          code: e.code,
          error: e.message,
          ...(reason ? { reason } : {}),
        });
      for (const [k, v] of Object.entries(e.headers)) res.setHeader(k, v);
      res.status(e.status).json(operationOutcome(e.status, e.message));
      return;
    }
    log.error('unexpected-error', {
      path: req.path,
      error: e?.message ?? String(err),
      stack: e?.stack,
    });
    res.status(500).json(operationOutcome(500, 'internal error; see the service log'));
  };
}
