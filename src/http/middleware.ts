import express, { type NextFunction, type Request, type Response } from 'express';
import { UnsupportedMediaTypeError } from '../platform/errors';
import type { Metrics } from '../platform/metrics';
import { tooLarge } from './errors';

/**
 * CORS for browser-based sandboxes: any origin, the headers CDS clients send, on every response.
 * A public sandbox (https://sandbox.cds-hooks.org) calling this service on localhost is a request to
 * the private network: Chrome's Private Network Access preflight asks with
 * `Access-Control-Request-Private-Network: true` and needs `Access-Control-Allow-Private-Network:
 * true` back; only such a preflight gets it.
 */
export function cors(req: Request, res: Response, next: NextFunction): void {
  res.setHeader('Access-Control-Allow-Origin', '*');
  res.setHeader('Access-Control-Allow-Methods', 'GET, POST, OPTIONS');
  res.setHeader('Access-Control-Allow-Headers', 'Authorization, Content-Type, Accept');
  res.setHeader('Access-Control-Max-Age', '600');
  if (req.method === 'OPTIONS') {
    const privateNetwork = req.headers['access-control-request-private-network'];
    if (typeof privateNetwork === 'string' && privateNetwork.trim().toLowerCase() === 'true')
      res.setHeader('Access-Control-Allow-Private-Network', 'true');
    res.status(204).end();
    return;
  }
  next();
}

/** Counts and times every request by route and status. */
export function timing(metrics: Metrics) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      // A router's base URL is gone once it has passed an error on, so routers record their mount point.
      const base = typeof res.locals.mount === 'string' ? res.locals.mount : req.baseUrl;
      const route = req.route?.path
        ? `${base}${String(req.route.path)}`
        : req.path.startsWith('/demo/fhir')
          ? '/demo/fhir'
          : 'other';
      const labels = { route, status: String(res.statusCode) };
      metrics.requests.inc(labels);
      metrics.requestSeconds.observe(labels, Number(process.hrtime.bigint() - started) / 1e9);
    });
    next();
  };
}

/** Records where a router is mounted, for the metrics' route label. */
export function mountedAt(mount: string) {
  return (_req: Request, res: Response, next: NextFunction): void => {
    res.locals.mount = mount;
    next();
  };
}

/** The content codings a body may be sent with (one at most); the parser inflates them within the limit. */
export const CONTENT_CODINGS = ['identity', 'gzip', 'deflate', 'br'] as const;

/**
 * Content-Encoding: none or one of CONTENT_CODINGS, in any case (normalised for the parser);
 * anything else, stacked codings included, is a 415 naming it. The same on every Node version
 * (newer ones would inflate zstd).
 */
function contentEncoding(req: Request, _res: Response, next: NextFunction): void {
  const raw = req.headers['content-encoding'];
  if (raw === undefined) return next();
  const coding = raw.trim().toLowerCase() || 'identity';
  if ((CONTENT_CODINGS as readonly string[]).includes(coding)) {
    req.headers['content-encoding'] = coding;
    return next();
  }
  const why = coding.includes(',') ? 'stacked codings are not supported' : 'it is not supported';
  next(
    new UnsupportedMediaTypeError(
      `Content-Encoding ${JSON.stringify(raw.slice(0, 40))}: ${why}; send the body as is or with one of ${CONTENT_CODINGS.slice(1).join(', ')}`,
    ),
  );
}

/**
 * A declared Content-Length over the limit is refused at once, without reading (or waiting for) the
 * body; Node then discards whatever does arrive, within REQUEST_TIMEOUT_MS.
 */
function declaredLength(limitBytes: number) {
  return (req: Request, _res: Response, next: NextFunction): void => {
    next(Number(req.headers['content-length']) > limitBytes ? tooLarge(limitBytes) : undefined);
  };
}

/** A JSON body (application/json or application/*+json) up to the limit; anything else is a 415. */
export function jsonBody(limitBytes: number) {
  const parse = express.json({
    limit: limitBytes,
    strict: false,
    type: ['application/json', 'application/*+json'],
  });
  return [
    (req: Request, _res: Response, next: NextFunction) => {
      if (!req.is(['application/json', 'application/*+json']))
        next(
          new UnsupportedMediaTypeError('send the body as JSON (Content-Type: application/json)'),
        );
      else next();
    },
    contentEncoding,
    declaredLength(limitBytes),
    parse,
  ];
}

/** The absolute base URL of this service as the caller reached it (for card links). */
export function baseUrlOf(req: Request): string {
  return `${req.protocol}://${req.get('host') ?? 'localhost'}`;
}
