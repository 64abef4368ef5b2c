import express from 'express';
import helmet from 'helmet';
import type { Config } from '../platform/config';
import { NotFoundError } from '../platform/errors';
import type { Logger } from '../platform/log';
import { Metrics } from '../platform/metrics';
import type { Policy } from '../policy/load';
import type { Wording } from '../render/wording';
import type { Clock, DecisionLog, FeedbackSink, RateStore, ReplayCache, Reports } from '../ports';
import { adminRouter } from './admin-router';
import type { ServiceRegistry } from '../services/registry';
import { cdsRouter } from './cds-router';
import { dtrRouter, type DtrRouterDeps } from './dtr-router';
import { errorHandler } from './errors';
import { cors, mountedAt, timing } from './middleware';
import { opsRouter } from './ops-router';
import { policyRouter } from './policy-router';

export interface AppDeps {
  registry: ServiceRegistry;
  policies: Policy[];
  /** The loaded content's wording (the policy pages use it). */
  wording: Wording;
  feedback: FeedbackSink;
  decisions: DecisionLog;
  /** jti claims and rate windows: a database shared by replicas, or this process's memory. */
  replay: ReplayCache;
  rates: RateStore;
  /** Reports over the decisions and feedback (a database; ADMIN_TOKEN turns them on). */
  reports?: Reports;
  config: Readonly<Config>;
  log: Logger;
  now?: Clock;
  metrics?: Metrics;
  /** Set ready=false while shutting down: /ready then answers 503. */
  state?: { ready: boolean };
  /** Why the state store can no longer be used, if it cannot (/health and /ready answer 503). */
  stateFailure?: () => string | undefined;
  /** DTR: the forms, $questionnaire-package and pre-population (absent: not served). */
  dtr?: Omit<DtrRouterDeps, 'config' | 'now' | 'replay'>;
  /** Routers mounted before the service's own (e.g. the demo's try page and FHIR server). */
  routers?: { path: string; router: express.Router }[];
}

/** The app: middleware, routers and the one error handler. No listening here. */
export function createApp(deps: AppDeps): express.Express {
  const app = express();
  const metrics = deps.metrics ?? new Metrics();
  app.disable('x-powered-by');
  app.set('trust proxy', false);
  app.use(cors);
  // Security headers; the JSON API is read cross-origin by sandboxes, so resources stay shareable.
  app.use(
    helmet({
      crossOriginResourcePolicy: { policy: 'cross-origin' },
      crossOriginOpenerPolicy: false,
    }),
  );
  app.use(timing(metrics));
  for (const { path, router } of deps.routers ?? []) app.use(path, router);
  app.use(
    opsRouter({
      metrics,
      state: deps.state ?? { ready: true },
      policyIds: deps.policies.map((p) => p.definition.id),
      ...(deps.stateFailure ? { stateFailure: deps.stateFailure } : {}),
    }),
  );
  app.use(policyRouter(deps.policies, deps.wording));
  const { registry, feedback, decisions, config, log } = deps;
  const now = deps.now ?? (() => new Date());
  app.use(
    '/cds-services',
    mountedAt('/cds-services'),
    cdsRouter({
      registry,
      feedback,
      decisions,
      config,
      log,
      now,
      metrics,
      replay: deps.replay,
      rates: deps.rates,
    }),
  );
  app.use(adminRouter({ ...(deps.reports ? { reports: deps.reports } : {}), config, now }));
  if (deps.dtr) app.use(dtrRouter({ ...deps.dtr, config, now, replay: deps.replay }));
  app.use((req, _res, next) => next(new NotFoundError(`no route ${req.method} ${req.path}`)));
  app.use(errorHandler(deps.log, deps.config.bodyLimitBytes));
  return app;
}
