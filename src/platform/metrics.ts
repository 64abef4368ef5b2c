import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Prometheus metrics of one service instance (its own registry, so tests stay apart). */
export class Metrics {
  readonly registry = new Registry();
  readonly requests = new Counter({
    name: 'cds_http_requests_total',
    help: 'HTTP requests by route and status',
    labelNames: ['route', 'status'] as const,
    registers: [this.registry],
  });
  readonly requestSeconds = new Histogram({
    name: 'cds_http_request_duration_seconds',
    help: 'HTTP request latency by route and status',
    labelNames: ['route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  readonly outcomes = new Counter({
    name: 'cds_policy_outcomes_total',
    help: 'Policy evaluations by policy and outcome',
    labelNames: ['policy', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly fhirSeconds = new Histogram({
    name: 'cds_fhir_request_duration_seconds',
    help: 'FHIR server calls by result (2xx, 4xx, 5xx, error)',
    labelNames: ['result'] as const,
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  /** Da Vinci CRD metrics (metrics.md): coverage assertions by hook, policy and what they say. */
  readonly coverageAssertions = new Counter({
    name: 'cds_crd_coverage_assertions_total',
    help: 'CRD coverage-information assertions returned, by hook, policy, covered, pa-needed and whether a questionnaire was offered',
    labelNames: ['hook', 'policy', 'covered', 'pa_needed', 'questionnaire'] as const,
    registers: [this.registry],
  });
  /** order-select results reused by the order-sign that follows (CRD: order-select for caching). */
  readonly selectCache = new Counter({
    name: 'cds_select_cache_total',
    help: 'order-select results stored, and looked up by later calls (hit or miss), by hook',
    labelNames: ['hook', 'result'] as const,
    registers: [this.registry],
  });
  /** CRD metrics.md: responses by hook and whether they were answered within 5 s. */
  readonly hookResponses = new Counter({
    name: 'cds_crd_responses_total',
    help: 'Hook calls answered, by hook and whether the answer took under 5 s (CRD metrics: share under 5 s)',
    labelNames: ['hook', 'status', 'under_5s'] as const,
    registers: [this.registry],
  });
  readonly bookkeepingFailures = new Counter({
    name: 'cds_bookkeeping_failures_total',
    help: 'Decision-log writes and lookups that failed (the hook answer was still sent)',
    labelNames: ['what'] as const,
    registers: [this.registry],
  });

  constructor(options: { defaultMetrics?: boolean } = {}) {
    if (options.defaultMetrics) collectDefaultMetrics({ register: this.registry });
  }

  observeFhir(ms: number, result: string): void {
    this.fhirSeconds.observe({ result }, ms / 1000);
  }
}
