import type { AddressInfo } from 'node:net';
import { createApp, type AppDeps } from './app';
import { createDemoFhirServer, readSeedBundles } from './demo/fhir-server';
import { createTryPage } from './demo/try-page';
import { readConfig } from './config';
import { FeedbackStore } from './feedback';
import { createLogger } from './log';
import { EvaluationPool } from './evaluation-pool';
import { Metrics } from './metrics';
import { loadRuntime } from './runtime';
import { loadServiceDefinition } from './service-definition';

/** The only module with side effects: read config, load content, create the app, listen. */
async function main(): Promise<void> {
  const config = readConfig();
  const log = createLogger(config.logLevel);
  const started = Date.now();
  const runtime = loadRuntime(config.content);
  const service = loadServiceDefinition(config.serviceFile, runtime.policies);
  let demo: AppDeps['demo'];
  if (config.demo) {
    // The embedded FHIR server is only needed when the page is not pointed at another one.
    let fhirServer;
    if (!config.demoFhirServer) {
      const fhir = createDemoFhirServer();
      await fhir.load(readSeedBundles(new Date()));
      fhirServer = fhir.router;
    }
    demo = { tryPage: createTryPage({ serviceId: service.id, ...(config.demoFhirServer ? { fhirServer: config.demoFhirServer } : {}) }), ...(fhirServer ? { fhirServer } : {}) };
  }
  const pool = config.evaluationWorkers > 0 ? new EvaluationPool(config.evaluationWorkers, config.content) : undefined;
  // The service answers at once; requests use the workers as soon as they have loaded the content.
  pool?.ready().then(
    () => log.info('evaluation-workers-ready', { workers: config.evaluationWorkers }),
    (e: unknown) => log.error('evaluation-workers-failed', { error: (e as Error).message }),
  );
  const state = { ready: true };
  const metrics = new Metrics({ defaultMetrics: true });
  const app = createApp({ runtime, service, config, log, metrics, state, ...(pool ? { pool } : {}), feedback: new FeedbackStore(config.feedbackLog), ...(demo ? { demo } : {}) });
  const server = app.listen(config.port, config.host, () => {
    const port = (server.address() as AddressInfo).port;
    log.info('listening', {
      url: `http://${config.host === '0.0.0.0' ? 'localhost' : config.host}:${port}/cds-services`,
      policies: runtime.policies.map((p) => p.definition.id),
      demo: config.demo ? `http://localhost:${port}/try` : 'off',
      evaluationWorkers: config.evaluationWorkers,
      auth: config.auth.enabled ? `on (${config.auth.clients.length} client(s))` : 'off',
      startupMs: Date.now() - started,
    });
  });
  server.on('error', (e) => {
    console.error(`cannot listen on ${config.host}:${config.port}: ${e.message}`);
    process.exit(1);
  });
  // Graceful shutdown: stop accepting, report not ready, let in-flight requests finish.
  const stop = (signal: string) => {
    if (!state.ready) return;
    state.ready = false;
    log.info('shutting-down', { signal, graceMs: config.shutdownGraceMs });
    server.close(() => {
      log.info('stopped');
      void (pool?.close() ?? Promise.resolve()).finally(() => setTimeout(() => process.exit(0), 50));
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

main().catch((e: unknown) => {
  console.error(`cannot start: ${(e as Error).message}`);
  process.exit(1);
});
