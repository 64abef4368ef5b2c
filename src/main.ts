import type { AddressInfo } from 'node:net';
import { createApp } from './app';
import { readConfig } from './config';
import { FeedbackStore } from './feedback';
import { createLogger } from './log';
import { loadRuntime } from './runtime';
import { loadServiceDefinition } from './service-definition';

/** The only module with side effects: read config, load content, create the app, listen. */
function main(): void {
  const config = readConfig();
  const log = createLogger(config.logLevel);
  const started = Date.now();
  const runtime = loadRuntime(config.content);
  const service = loadServiceDefinition(config.serviceFile, runtime.policies);
  const app = createApp({ runtime, service, config, log, feedback: new FeedbackStore(config.feedbackLog) });
  const server = app.listen(config.port, config.host, () => {
    const port = (server.address() as AddressInfo).port;
    log.info('listening', {
      url: `http://${config.host === '0.0.0.0' ? 'localhost' : config.host}:${port}/cds-services`,
      policies: runtime.policies.map((p) => p.definition.id),
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

try {
  main();
} catch (e) {
  console.error(`cannot start: ${(e as Error).message}`);
  process.exit(1);
}
