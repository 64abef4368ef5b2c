import { readConfig } from '../src/platform/config';
import { createLogger } from '../src/platform/log';
import type { Content } from '../src/services/content';
import type { OrderSignDeps } from '../src/services/order-sign';

/**
 * The order-sign dependencies for running the service's own pipeline in process (CLI, benchmark
 * lower bound, test kit): the default limits, evaluation on this thread, no logs, a fixed clock.
 */
export function inProcessDeps(content: Content, now: Date): OrderSignDeps {
  const config = readConfig({ LOG_LEVEL: 'silent' });
  const { limits } = config;
  return {
    service: content.service,
    policies: content.policies,
    evaluator: () => content.engine.evaluator.evaluate,
    gather: {
      allowedFhirServers: [],
      timeoutMs: config.fhirTimeoutMs,
      maxPages: config.fhirMaxPages,
      maxResponseBytes: limits.fhirMaxResponseBytes,
      maxResources: limits.fhirMaxResources,
    },
    limits: {
      maxDraftOrders: limits.maxDraftOrders,
      maxPrefetchResources: limits.maxPrefetchResources,
    },
    log: createLogger('silent'),
    now: () => now,
    wording: content.wording,
  };
}

/** The context of an in-process call (card links point at a local service). */
export const LOCAL_CALL = { baseUrl: 'http://localhost:3000' };
