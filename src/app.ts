import express, { type NextFunction, type Request, type Response } from 'express';
import helmet from 'helmet';
import { Authenticator, type TrustedClient } from './auth';
import { ConcurrencyGate, RateLimiter } from './limits';
import type { EvaluationPool } from './evaluation-pool';
import { Metrics } from './metrics';
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
  metrics?: Metrics;
  /** Worker threads for policy evaluation (none: evaluate in process). */
  pool?: EvaluationPool;
  /** Set ready=false while shutting down: /ready then answers 503. */
  state?: { ready: boolean };
}

type Authenticated = Request & { client?: TrustedClient };

const ISSUE_CODE: Record<number, string> = {
  400: 'invalid', 401: 'login', 404: 'not-found', 405: 'not-supported', 412: 'incomplete', 413: 'too-costly', 415: 'not-supported',
  429: 'throttled', 500: 'exception', 503: 'transient',
};

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
  const metrics = deps.metrics ?? new Metrics();
  const state = deps.state ?? { ready: true };
  const authenticator = deps.config.auth.enabled
    ? new Authenticator({
        clients: deps.config.auth.clients,
        clockSkewSeconds: deps.config.auth.clockSkewSeconds,
        ...(deps.config.auth.jwksCooldownSeconds !== undefined ? { jwksCooldownSeconds: deps.config.auth.jwksCooldownSeconds } : {}),
      })
    : undefined;
  const gate = new ConcurrencyGate(deps.config.limits.maxConcurrent, deps.config.limits.maxQueue);
  const rateLimiter = new RateLimiter(deps.config.limits.ratePerMinute);
  app.disable('x-powered-by');
  app.set('trust proxy', false);
  app.use(cors);
  // Security headers; the JSON API is read cross-origin by sandboxes, so resources stay shareable.
  app.use(helmet({ crossOriginResourcePolicy: { policy: 'cross-origin' }, crossOriginOpenerPolicy: false }));
  app.use((req, res, next) => {
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      const route = req.route?.path ? `${req.baseUrl}${String(req.route.path)}` : req.path.startsWith('/demo/fhir') ? '/demo/fhir' : 'other';
      const labels = { route, status: String(res.statusCode) };
      metrics.requests.inc(labels);
      metrics.requestSeconds.observe(labels, Number(process.hrtime.bigint() - started) / 1e9);
    });
    next();
  });

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
  const live = (_req: Request, res: Response) => {
    res.json({ status: 'ok' });
  };
  app.get('/health', live);
  app.get('/healthz', live);
  app.get('/ready', (_req, res) => {
    const ready = state.ready && deps.runtime.policies.length > 0;
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not ready', policies: deps.runtime.policies.map((p) => p.definition.id) });
  });
  app.get('/metrics', async (_req, res) => {
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
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
  // CDS Hooks client authentication (when on), then the per-client rate limit: both before the body is read.
  const authenticate = async (req: Authenticated, _res: Response, next: NextFunction) => {
    try {
      if (authenticator) {
        const audience = `${deps.config.publicBaseUrl ?? baseUrlOf(req)}${req.path}`;
        req.client = await authenticator.verify(req.get('authorization'), audience);
      }
      rateLimiter.take(req.client?.iss ?? req.ip ?? 'unknown');
      next();
    } catch (e) {
      next(e);
    }
  };
  app.post('/cds-services/:id', knownService, authenticate, requireJson, json, async (req: Authenticated, res) => {
    const out = await gate.run(() =>
      handleOrderSign(
        {
          runtime: deps.runtime, service, config: deps.config, log: deps.log, metrics,
          // Until the workers have loaded the content (just after start), evaluate in process.
          ...(deps.pool?.isReady ? { evaluate: deps.pool.evaluate.bind(deps.pool) } : {}),
          ...(deps.now ? { now: deps.now } : {}),
        },
        req.body,
        { baseUrl: baseUrlOf(req), ...(req.client ? { client: req.client } : {}) },
      ),
    );
    res.json(out);
  });
  app.post('/cds-services/:id/feedback', knownService, authenticate, requireJson, json, async (req, res) => {
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
      const reason = (e as { reason?: string }).reason;
      if (e.status >= 500 && e.status !== 503) deps.log.error('request-failed', { path: req.path, status: e.status, error: e.message });
      else deps.log.info('request-rejected', { path: req.path, status: e.status, code: e.code, error: e.message, ...(reason ? { reason } : {}) });
      for (const [k, v] of Object.entries(e.headers)) res.setHeader(k, v);
      res.status(e.status).json(operationOutcome(e.status, e.message));
      return;
    }
    deps.log.error('unexpected-error', { path: req.path, error: e?.message ?? String(err), stack: e?.stack });
    res.status(500).json(operationOutcome(500, 'internal error; see the service log'));
  });
  return app;
}
