import type { AddressInfo } from 'node:net';
import { createApp, type AppDeps } from './app';
import { createDemoFhirServer, readSeedBundles } from './demo/fhir-server';
import { createTryPage } from './demo/try-page';
import { readConfig } from './config';
import { FeedbackStore } from './feedback';
import { createLogger } from './log';
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
  const app = createApp({ runtime, service, config, log, feedback: new FeedbackStore(config.feedbackLog), ...(demo ? { demo } : {}) });
  const server = app.listen(config.port, config.host, () => {
    const port = (server.address() as AddressInfo).port;
    log.info('listening', {
      url: `http://${config.host === '0.0.0.0' ? 'localhost' : config.host}:${port}/cds-services`,
      policies: runtime.policies.map((p) => p.definition.id),
      demo: config.demo ? `http://localhost:${port}/try` : 'off',
      startupMs: Date.now() - started,
    });
  });
  server.on('error', (e) => {
    console.error(`cannot listen on ${config.host}:${config.port}: ${e.message}`);
    process.exit(1);
  });
  const stop = () => server.close(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((e: unknown) => {
  console.error(`cannot start: ${(e as Error).message}`);
  process.exit(1);
});
