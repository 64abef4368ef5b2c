import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { migrate } from './adapters/sql/migrations';
import { openDatabase, openState, type StateStore } from './adapters/state';
import { EvaluationPool } from './engine/pool/pool';
import { createApp, type AppDeps } from './http/app';
import { populateForms } from './services/dtr';
import { readConfig, type Config } from './platform/config';
import { createLogger, type Logger } from './platform/log';
import { Metrics } from './platform/metrics';
import type { Clock } from './ports';
import { loadContent, type Content } from './services/content';
import { orderSignDepsFrom } from './services/deps';
import type { OrderSignDeps } from './services/order-sign';
import { ServiceRegistry } from './services/registry';
import { orderServices } from './services/services';

export interface StartOptions {
  /** Routers mounted before the service's own (the demo's). Built from the loaded content. */
  routers?: (content: Content) => Promise<NonNullable<AppDeps['routers']>>;
  /** Extra fields for the "listening" log line. */
  describe?: (port: number) => Record<string, unknown>;
}

const SYSTEM_CLOCK: Clock = () => new Date();

/** The state store's security ports (jtis, rate windows) and reports, when it has them. */
function sharedState(store: StateStore): Pick<AppDeps, 'replay' | 'rates' | 'reports'> {
  return {
    replay: store.replay,
    rates: store.rates,
    ...(store.reports ? { reports: store.reports } : {}),
  };
}

/** The order-sign dependencies, built once: evaluation in the pool once its workers are ready. */
function orderSignDeps(
  config: Readonly<Config>,
  content: Content,
  log: Logger,
  metrics: Metrics,
  pool?: EvaluationPool,
): OrderSignDeps {
  const inProcess = content.engine.evaluator.evaluate;
  const evaluator = () => (pool?.isReady ? pool.evaluate : inProcess);
  // The clock and the id source of the running service: the system's.
  return orderSignDepsFrom(config, content, {
    log,
    metrics,
    evaluator,
    now: SYSTEM_CLOCK,
    newId: randomUUID,
  });
}

/** The composition root: read config → load content → adapters → createApp → listen. */
export async function startService(options: StartOptions = {}): Promise<http.Server> {
  const config = readConfig();
  const log = createLogger(config.logLevel);
  const started = Date.now();
  // The database opens (PGlite compiles its WebAssembly off the main thread) while content loads.
  const opening = openState(config);
  opening.catch(() => undefined);
  const content = loadContent(config.content);
  const metrics = new Metrics({ defaultMetrics: true });
  const pool =
    config.evaluationWorkers > 0
      ? new EvaluationPool(config.evaluationWorkers, config.content)
      : undefined;
  // The service answers at once; requests use the workers as soon as they have loaded the content.
  pool?.ready().then(
    () => log.info('evaluation-workers-ready', { workers: config.evaluationWorkers }),
    (e: unknown) => log.error('evaluation-workers-failed', { error: (e as Error).message }),
  );
  const deps = orderSignDeps(config, content, log, metrics, pool);
  const registry = new ServiceRegistry(orderServices(content, deps));
  const state = { ready: true };
  // Decisions, feedback, jtis and rate windows: the database (migrated now), or the files.
  const store = await opening;
  const { feedback, decisions } = store;
  const routers = (await options.routers?.(content)) ?? [];
  const app = createApp({
    registry,
    policies: content.policies,
    wording: content.wording,
    feedback,
    decisions,
    ...sharedState(store),
    stateFailure: () => store.failure(),
    config,
    log,
    metrics,
    state,
    routers,
    now: SYSTEM_CLOCK,
    dtr: {
      catalog: content.dtr,
      policies: content.policies,
      populate: (body, ctx) => populateForms(deps, body, ctx),
    },
  });
  const server = createServer(app, config);
  await listen(server, config);
  const port = (server.address() as AddressInfo).port;
  const shown = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
  log.info('listening', {
    url: `http://${shown}:${port}/cds-services`,
    policies: content.policies.map((p) => p.definition.id),
    evaluationWorkers: config.evaluationWorkers,
    state: store.kind,
    auth: config.auth.enabled ? `on (${config.auth.clients.length} client(s))` : 'off',
    ...options.describe?.(port),
    startupMs: Date.now() - started,
  });
  stopOnSignals(server, config, log, state, () =>
    Promise.allSettled([store.close(), pool?.close()]).then(() => undefined),
  );
  return server;
}

/**
 * The HTTP server around the app, with the slow-client limits: headers within HEADERS_TIMEOUT_MS and
 * the whole request within REQUEST_TIMEOUT_MS, else 408 and the connection closes. Only receiving
 * the request is timed; a slow answer (a slow FHIR server) is not cut.
 */
export function createServer(
  app: http.RequestListener,
  config: Pick<Config, 'headersTimeoutMs' | 'requestTimeoutMs'>,
): http.Server {
  return http.createServer(
    {
      headersTimeout: config.headersTimeoutMs,
      requestTimeout: config.requestTimeoutMs,
      // How often the timeouts are checked (Node's default, 30 s, would let them overrun by that much).
      connectionsCheckingInterval: Math.min(1000, Math.ceil(config.headersTimeoutMs / 2)),
    },
    app,
  );
}

/** Listens, or fails with the address that could not be used. */
function listen(server: http.Server, config: Readonly<Config>): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) => {
      const why =
        e.code === 'EADDRINUSE'
          ? 'the address is already in use'
          : e.code === 'EACCES'
            ? 'permission denied'
            : e.message;
      reject(
        new Error(`cannot listen on ${config.host}:${config.port}: ${why} (set PORT or HOST)`),
      );
    });
    server.listen(config.port, config.host, () => resolve());
  });
}

/** Graceful shutdown: stop accepting, report not ready, let in-flight requests finish. */
function stopOnSignals(
  server: http.Server,
  config: Readonly<Config>,
  log: Logger,
  state: { ready: boolean },
  /** Stores what is pending and stops the workers. */
  drain: () => Promise<void>,
): void {
  const stop = (signal: string) => {
    if (!state.ready) return;
    state.ready = false;
    log.info('shutting-down', { signal, graceMs: config.shutdownGraceMs });
    server.close(() => {
      log.info('stopped');
      void drain().finally(() => setTimeout(() => process.exit(0), 50));
    });
    server.closeIdleConnections();
    setTimeout(() => {
      log.warn('shutdown-timeout', { graceMs: config.shutdownGraceMs });
      process.exit(1);
    }, config.shutdownGraceMs).unref();
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

/** Runs `start` as the process's entry: any failure prints one line and exits 1. */
export function runMain(start: () => Promise<unknown>): void {
  start().catch((e: unknown) => {
    console.error(`cannot start: ${(e as Error).message}`);
    process.exit(1);
  });
}

/**
 * `node dist/main.js migrate`: applies the database migrations and exits (the deployment's
 * migration Job; the service also applies them at startup).
 */
export async function migrateOnly(): Promise<void> {
  const config = readConfig();
  const db = await openDatabase(config);
  try {
    const applied = await migrate(db);
    console.log(JSON.stringify({ database: db.kind, applied }));
  } finally {
    await db.close();
  }
}

if (require.main === module)
  runMain(() => (process.argv[2] === 'migrate' ? migrateOnly() : startService()));
