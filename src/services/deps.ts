import type { Evaluate } from '../engine/evaluator';
import type { Config } from '../platform/config';
import type { Logger } from '../platform/log';
import type { Metrics } from '../platform/metrics';
import { randomUUID } from 'node:crypto';
import type { Clock, IdSource } from '../ports';
import type { Content } from './content';
import { EvaluationCache } from './evaluation-cache';
import type { OrderSignDeps } from './types';

/** What the order-sign deps take besides config and content. */
export interface DepsOptions {
  log: Logger;
  /** Where programs run, asked per request (default: in process). */
  evaluator?: () => Evaluate;
  now?: Clock;
  /** New card uuids (default: random UUIDs). */
  newId?: IdSource;
  metrics?: Metrics;
}

/** The order-sign dependencies from the configuration and the loaded content (built once). */
export function orderSignDepsFrom(
  config: Readonly<Config>,
  content: Content,
  options: DepsOptions,
): OrderSignDeps {
  const { limits } = config;
  const inProcess = content.engine.evaluator.evaluate;
  return {
    service: content.service,
    policies: content.policies,
    evaluator: options.evaluator ?? (() => inProcess),
    gather: {
      allowedFhirServers: config.allowedFhirServers,
      timeoutMs: config.fhirTimeoutMs,
      maxPages: config.fhirMaxPages,
      maxResponseBytes: limits.fhirMaxResponseBytes,
      maxResources: limits.fhirMaxResources,
    },
    limits: {
      maxDraftOrders: limits.maxDraftOrders,
      maxPrefetchResources: limits.maxPrefetchResources,
    },
    log: options.log,
    ...(options.metrics ? { metrics: options.metrics } : {}),
    now: options.now ?? (() => new Date()),
    newId: options.newId ?? randomUUID,
    wording: content.wording,
    realtimeDetermination: config.realtimeDetermination,
    payerIdentifiers: config.payerIdentifiers,
    selectCache: new EvaluationCache(),
    documentation: content.dtr,
  };
}
