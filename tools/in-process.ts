import { readConfig } from '../src/platform/config';
import { createLogger } from '../src/platform/log';
import type { Content } from '../src/services/content';
import { orderSignDepsFrom } from '../src/services/deps';
import type { OrderSignDeps } from '../src/services/order-sign';

/**
 * The order-sign dependencies for running the service's own pipeline in process (CLI, benchmark
 * lower bound, test kit): the default limits, evaluation on this thread, no logs, a fixed clock.
 */
export function inProcessDeps(content: Content, now: Date): OrderSignDeps {
  // No FHIR server is ever called: the request's prefetch is the only data.
  const config = { ...readConfig({ LOG_LEVEL: 'silent' }), allowedFhirServers: [] };
  return orderSignDepsFrom(config, content, { log: createLogger('silent'), now: () => now });
}

/** The context of an in-process call (card links point at a local service). */
export const LOCAL_CALL = { baseUrl: 'http://localhost:3000' };
