import express, { type NextFunction, type Request, type Response } from 'express';
import { parseFeedback } from '../cds/feedback';
import type { Config, TrustedClient } from '../platform/config';
import { NotFoundError } from '../platform/errors';
import type { Logger } from '../platform/log';
import type { Clock, FeedbackSink } from '../ports';
import type { CdsService, ServiceRegistry } from '../services/registry';
import { Authenticator } from './auth';
import { operationOutcome } from './errors';
import { ConcurrencyGate, RateLimiter } from './limits';
import { baseUrlOf, jsonBody } from './middleware';

export interface CdsRouterDeps {
  registry: ServiceRegistry;
  feedback: FeedbackSink;
  config: Readonly<Config>;
  log: Logger;
  now: Clock;
}

type Call = Request & { client?: TrustedClient; service?: CdsService };

/** CDS Hooks: discovery, service calls and feedback, behind client authentication and limits. */
export function cdsRouter(deps: CdsRouterDeps): express.Router {
  const { config, registry } = deps;
  const router = express.Router();
  const auth = config.auth;
  const authenticator = auth.enabled
    ? new Authenticator({
        clients: auth.clients,
        clockSkewSeconds: auth.clockSkewSeconds,
        ...(auth.jwksCooldownSeconds !== undefined
          ? { jwksCooldownSeconds: auth.jwksCooldownSeconds }
          : {}),
      })
    : undefined;
  const gate = new ConcurrencyGate(config.limits.maxConcurrent, config.limits.maxQueue);
  const rateLimiter = new RateLimiter(config.limits.ratePerMinute);
  const json = jsonBody(config.bodyLimitBytes);

  const knownService = (req: Call, _res: Response, next: NextFunction) => {
    req.service = registry.get(String(req.params.id));
    next(
      req.service
        ? undefined
        : new NotFoundError(`no CDS service "${req.params.id}"; see GET /cds-services`),
    );
  };
  // Client authentication (when on), then the per-client rate limit: both before the body is read.
  const authenticate = async (req: Call, _res: Response, next: NextFunction) => {
    try {
      if (authenticator)
        req.client = await authenticator.verify(
          req.get('authorization'),
          `${config.publicBaseUrl ?? baseUrlOf(req)}${req.originalUrl.split('?')[0]}`,
        );
      rateLimiter.take(req.client?.iss ?? req.ip ?? 'unknown');
      next();
    } catch (e) {
      next(e);
    }
  };

  router.get('/', (_req, res) => res.json(registry.discovery()));
  router.post('/:id', knownService, authenticate, ...json, async (req: Call, res) => {
    const ctx = { baseUrl: baseUrlOf(req), ...(req.client ? { client: req.client } : {}) };
    res.json(await gate.run(() => (req.service as CdsService).handle(req.body, ctx)));
  });
  router.post('/:id/feedback', knownService, authenticate, ...json, async (req: Call, res) => {
    const items = parseFeedback(req.body);
    await deps.feedback.append((req.service as CdsService).definition.id, items, deps.now());
    deps.log.info('feedback', { items: items.length, outcomes: items.map((i) => i.outcome) });
    res.status(200).json({});
  });
  router.all(['/', '/:id', '/:id/feedback'], (req, res) => {
    res.status(405).setHeader('Allow', req.path === '/' ? 'GET' : 'POST');
    res.json(
      operationOutcome(405, `${req.method} is not supported on ${req.originalUrl.split('?')[0]}`),
    );
  });
  return router;
}
