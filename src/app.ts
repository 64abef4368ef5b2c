import express, { type NextFunction, type Request, type Response } from 'express';
import type { Config } from './config';
import { NotFoundError, PayloadTooLargeError, ServiceError, UnsupportedMediaTypeError, BadRequestError } from './errors';
import { FeedbackStore, parseFeedback } from './feedback';
import { discoveryDocument } from './hooks';
import type { Logger } from './log';
import { handleOrderSign } from './order-sign';
import { policyPage } from './policy-page';
import type { Runtime } from './runtime';
import type { ServiceDefinition } from './service-definition';

export interface AppDeps {
  runtime: Runtime;
  service: ServiceDefinition;
  config: Readonly<Config>;
  log: Logger;
  feedback: FeedbackStore;
  now?: () => Date;
  /** Demo mode: the try page and the embedded FHIR server, mounted at /try and /demo/fhir. */
  demo?: { tryPage: express.Router; fhirServer?: express.Router };
}

const ISSUE_CODE: Record<number, string> = { 400: 'invalid', 404: 'not-found', 405: 'not-supported', 412: 'incomplete', 413: 'too-costly', 415: 'not-supported', 500: 'exception' };

function operationOutcome(status: number, message: string) {
  return { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: ISSUE_CODE[status] ?? 'processing', diagnostics: message }] };
}

/** CORS for browser-based sandboxes: any origin, the headers CDS clients send, on every response. */
function cors(req: Request, res: Response, next: NextFunction): void {
  res.setHeader('Access-Control-Allow-Origin', '*');
  res.setHeader('Access-Control-Allow-Methods', 'GET, POST, OPTIONS');
  res.setHeader('Access-Control-Allow-Headers', 'Authorization, Content-Type, Accept');
  res.setHeader('Access-Control-Max-Age', '600');
  if (req.method === 'OPTIONS') {
    res.status(204).end();
    return;
  }
  next();
}

/** The absolute base URL of this service as the caller reached it (for card links). */
function baseUrlOf(req: Request): string {
  return `${req.protocol}://${req.get('host') ?? 'localhost'}`;
}

/** The app: middleware, routes and the one error handler. No listening here. */
export function createApp(deps: AppDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', false);
  app.use(cors);

  const requireJson = (req: Request, _res: Response, next: NextFunction) => {
    if (!req.is(['application/json', 'application/*+json'])) {
      next(new UnsupportedMediaTypeError('send the body as JSON (Content-Type: application/json)'));
      return;
    }
    next();
  };
  const json = express.json({ limit: deps.config.bodyLimitBytes, strict: false, type: ['application/json', 'application/*+json'] });
  const service = deps.service;

  if (deps.demo) {
    app.use('/try', deps.demo.tryPage);
    if (deps.demo.fhirServer) app.use('/demo/fhir', deps.demo.fhirServer);
  }
  app.get('/', (_req, res) => {
    if (deps.demo) {
      res.redirect(302, '/try');
      return;
    }
    res.json({ service: 'pa-cds-hooks', discovery: '/cds-services', policies: deps.runtime.policies.map((p) => `/policies/${p.definition.id}`) });
  });
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok', policies: deps.runtime.policies.map((p) => p.definition.id) });
  });
  app.get('/cds-services', (_req, res) => {
    res.json(discoveryDocument(service));
  });
  app.get('/policies/:id', (req, res) => {
    const policy = deps.runtime.policies.find((p) => p.definition.id === req.params.id);
    if (!policy) throw new NotFoundError(`no policy ${req.params.id}`);
    res.type('html').send(policyPage(policy));
  });

  const knownService = (req: Request, _res: Response, next: NextFunction) => {
    if (req.params.id !== service.id) {
      next(new NotFoundError(`no CDS service "${req.params.id}"; see GET /cds-services`));
      return;
    }
    next();
  };
  app.post('/cds-services/:id', knownService, requireJson, json, async (req, res) => {
    const out = await handleOrderSign(
      { runtime: deps.runtime, service, config: deps.config, log: deps.log, ...(deps.now ? { now: deps.now } : {}) },
      req.body,
      { baseUrl: baseUrlOf(req) },
    );
    res.json(out);
  });
  app.post('/cds-services/:id/feedback', knownService, requireJson, json, async (req, res) => {
    const items = parseFeedback(req.body);
    await deps.feedback.append(service.id, items, deps.now?.() ?? new Date());
    deps.log.info('feedback', { items: items.length, outcomes: items.map((i) => i.outcome) });
    res.status(200).json({});
  });
  app.all(['/cds-services', '/cds-services/:id', '/cds-services/:id/feedback'], (req, res) => {
    res.status(405).setHeader('Allow', req.path === '/cds-services' ? 'GET' : 'POST');
    res.json(operationOutcome(405, `${req.method} is not supported on ${req.path}`));
  });
  app.use((req, _res, next) => next(new NotFoundError(`no route ${req.method} ${req.path}`)));

  // The one place errors become responses: typed errors keep their status and message; parser
  // errors are mapped; anything else is a fixed 500 with the detail only in the log.
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    let e = err as Error & { type?: string; status?: number };
    if (e?.type === 'entity.too.large') e = new PayloadTooLargeError(`the body is larger than ${deps.config.bodyLimitBytes} bytes (BODY_LIMIT)`);
    else if (e?.type === 'entity.parse.failed') e = new BadRequestError('the body is not valid JSON');
    else if (e?.type === 'charset.unsupported' || e?.type === 'encoding.unsupported') e = new UnsupportedMediaTypeError('unsupported body charset or encoding');
    else if (e?.type === 'request.aborted' || e?.type === 'request.size.invalid') e = new BadRequestError('the body could not be read');
    if (e instanceof ServiceError) {
      if (e.status >= 500) deps.log.error('request-failed', { path: req.path, status: e.status, error: e.message });
      else deps.log.info('request-rejected', { path: req.path, status: e.status, code: e.code, error: e.message });
      res.status(e.status).json(operationOutcome(e.status, e.message));
      return;
    }
    deps.log.error('unexpected-error', { path: req.path, error: e?.message ?? String(err), stack: e?.stack });
    res.status(500).json(operationOutcome(500, 'internal error; see the service log'));
  });
  return app;
}
