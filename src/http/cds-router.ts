import { createHmac } from 'node:crypto';
import express, { type NextFunction, type Request, type Response } from 'express';
import { cardDecisions, feedbackRecords, parseFeedback } from '../cds/feedback';
import type { CdsResponse, FeedbackItem } from '../cds/types';
import type { Config, TrustedClient } from '../platform/config';
import { NotFoundError, UnrecordedError } from '../platform/errors';
import type { Logger } from '../platform/log';
import type { Metrics } from '../platform/metrics';
import type { Clock, Decision, DecisionLog, FeedbackSink, RateStore, ReplayCache } from '../ports';
import { decisionFacts } from '../services/decision-facts';
import type { CdsService, ServiceRegistry } from '../services/registry';
import { authenticatorFor } from './auth';
import { operationOutcome } from './errors';
import { ConcurrencyGate, RateLimiter } from './limits';
import { baseUrlOf, jsonBody } from './middleware';

export interface CdsRouterDeps {
  registry: ServiceRegistry;
  feedback: FeedbackSink;
  /** Where the decision behind each returned card is recorded, for joining feedback to it. */
  decisions: DecisionLog;
  config: Readonly<Config>;
  log: Logger;
  now: Clock;
  metrics?: Metrics;
  /** jti claims and rate windows: a database shared by replicas, or this process's memory. */
  replay: ReplayCache;
  rates: RateStore;
}

type Call = Request & { client?: TrustedClient; service?: CdsService; started?: number };

/** CRD metrics: every answered hook call by hook and status, and whether it took under 5 s. */
function hookTimer(metrics: Metrics | undefined) {
  return (req: Call, res: Response, next: NextFunction) => {
    const started = Date.now();
    req.started = started;
    res.on('finish', () =>
      metrics?.hookResponses.inc({
        hook: req.service?.definition.hook ?? 'unknown',
        status: String(res.statusCode),
        under_5s: Date.now() - started < 5000 ? 'yes' : 'no',
      }),
    );
    next();
  };
}

/** CDS Hooks: discovery, service calls and feedback, behind client authentication and limits. */
export function cdsRouter(deps: CdsRouterDeps): express.Router {
  const { config, registry } = deps;
  const router = express.Router();
  const authenticator = authenticatorFor(config.auth, deps.replay);
  const gate = new ConcurrencyGate(config.limits.maxConcurrent, config.limits.maxQueue);
  const rateLimiter = new RateLimiter(config.limits.ratePerMinute, Date.now, deps.rates);
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
      // Per authenticated client (its own limit, else the default); without authentication there
      // is no client identity, and the default applies per remote address.
      if (req.client) await rateLimiter.hit(`client:${req.client.iss}`, req.client.ratePerMinute);
      else await rateLimiter.hit(`ip:${req.ip ?? 'unknown'}`);
      next();
    } catch (e) {
      next(e);
    }
  };

  const timeHook = hookTimer(deps.metrics);

  router.get('/', (_req, res) => res.json(registry.discovery()));
  router.post('/:id', knownService, timeHook, authenticate, ...json, async (req: Call, res) => {
    const ctx = { baseUrl: baseUrlOf(req), ...(req.client ? { client: req.client } : {}) };
    const service = req.service as CdsService;
    const response = await gate.run(() => service.handle(req.body, ctx));
    // The answer goes out once its decisions are committed (a failure is counted and logged, and
    // with DECISIONS_REQUIRED the answer is a 503 instead).
    await recordDecisions(deps, service, req, response);
    res.json(response);
  });
  router.post('/:id/feedback', knownService, authenticate, ...json, async (req: Call, res) => {
    const items = parseFeedback(req.body);
    await storeFeedback(deps, (req.service as CdsService).definition.id, items);
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

/** A patient id as the decision record keeps it (PATIENT_REFERENCES): reference, keyed hash or nothing. */
function patientAs(config: Readonly<Config>, patientId: string): string | undefined {
  const { mode, hashKey } = config.patientReferences;
  if (mode === 'reference') return `Patient/${patientId}`;
  if (mode === 'hash' && hashKey)
    return `hmac-sha256:${createHmac('sha256', hashKey).update(patientId).digest('hex')}`;
  return undefined;
}

/**
 * Records the decision behind each card of an answered hook call, with who called, how long it
 * took and where the data came from; resolves once the store has committed them. A failure is
 * counted and logged (ids and counts only); then with DECISIONS_REQUIRED (the default) it throws
 * (503: no record, no answer), else the answer still goes out.
 */
async function recordDecisions(
  deps: CdsRouterDeps,
  service: CdsService,
  req: Call,
  response: CdsResponse,
): Promise<void> {
  const body = req.body as { hookInstance?: unknown };
  const hookInstance = typeof body.hookInstance === 'string' ? body.hookInstance : '';
  const decidedAt = deps.now().toISOString();
  const latencyMs = Date.now() - (req.started ?? Date.now());
  const common = {
    service: service.definition.id,
    hook: service.definition.hook,
    hookInstance,
    decidedAt,
    latencyMs,
    ...(req.client ? { client: req.client.iss } : {}),
  };
  const facts = decisionFacts(response);
  const decisions: Decision[] =
    facts.length > 0
      ? facts.map(({ card, patientId, criteria, ...f }) => {
          const patient = patientAs(deps.config, patientId);
          // The patient is kept only as configured, in the evidence too.
          const own = `Patient/${patientId}`;
          const cited = criteria.map((c) => ({
            ...c,
            evidence: c.evidence.map((e) => (e === own ? (patient ?? 'Patient') : e)),
          }));
          return { card, ...common, ...f, criteria: cited, ...(patient ? { patient } : {}) };
        })
      : cardDecisions(response.cards).map((d) => ({ ...common, ...d }));
  if (decisions.length === 0) return;
  try {
    await deps.decisions.record(decisions);
  } catch (e) {
    deps.metrics?.bookkeepingFailures.inc({ what: 'decision-record' });
    deps.log.error('decision-log-failed', {
      service: service.definition.id,
      hookInstance,
      cards: decisions.length,
      error: (e as Error)?.message ?? String(e),
      answer: deps.config.decisionsRequired ? 'withheld (503)' : 'sent',
    });
    if (deps.config.decisionsRequired) throw new UnrecordedError();
  }
}

/**
 * Stores the feedback items, each joined to the decision behind its card. A failed lookup is
 * logged and the items are stored as for unknown cards: feedback is never dropped.
 */
async function storeFeedback(
  deps: CdsRouterDeps,
  service: string,
  items: FeedbackItem[],
): Promise<void> {
  let decisions = new Map<string, Decision>();
  try {
    decisions = await deps.decisions.find(items.map((i) => i.card));
  } catch (e) {
    deps.metrics?.bookkeepingFailures.inc({ what: 'decision-lookup' });
    deps.log.error('decision-lookup-failed', { items: items.length, error: (e as Error)?.message });
  }
  await deps.feedback.append(feedbackRecords(service, items, deps.now(), decisions));
}
