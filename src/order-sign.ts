import type { Extension, MedicationRequest, Resource } from 'fhir/r4';
import type { TrustedClient } from './auth';
import type { Config } from './config';
import type { EvaluationInput, PolicyResult } from './evaluate';
import type { Metrics } from './metrics';
import type { Policy } from './policies';
import { BadRequestError } from './errors';
import { coverageInformationWanted, draftMedicationRequests, parseOrderSignRequest } from './hooks';
import type { Logger } from './log';
import { gatherPatientData } from './patient-data';
import { coverageAction, coverageInformation, renderCard, renderErrorCard, type Card, type RenderContext, type SystemAction } from './render';
import type { Runtime } from './runtime';
import { selectPolicies } from './select-policies';
import type { ServiceDefinition } from './service-definition';

export interface OrderSignDeps {
  runtime: Runtime;
  service: ServiceDefinition;
  config: Pick<Config, 'allowedFhirServers' | 'fhirTimeoutMs' | 'fhirMaxPages' | 'limits'>;
  log: Logger;
  metrics?: Metrics;
  /** Where policies are evaluated (a worker pool); default: the runtime's evaluator, in process. */
  evaluate?: (policy: Policy, input: EvaluationInput) => Promise<PolicyResult>;
  /** The evaluation time; fixed per request. */
  now?: () => Date;
}

export interface OrderSignResponse {
  cards: Card[];
  systemActions: SystemAction[];
}

/**
 * The order-sign pipeline: parse → select policies → gather data → evaluate → render.
 * Returns the CDS Hooks response; typed errors (400, 412) propagate to the HTTP layer.
 */
export async function handleOrderSign(
  deps: OrderSignDeps,
  body: unknown,
  ctx: RenderContext & { client?: TrustedClient },
): Promise<OrderSignResponse> {
  const started = Date.now();
  const request = parseOrderSignRequest(body, deps.service, deps.config.limits);
  const drafts = request.context.draftOrders;
  const orders = draftMedicationRequests(drafts);
  const draftResources = (drafts.entry ?? []).map((e) => e.resource).filter((r): r is NonNullable<typeof r> => !!r && r.resourceType !== 'MedicationRequest');
  const matches = selectPolicies(orders, deps.runtime.policies, [drafts]);
  if (matches.length === 0) {
    deps.log.info('order-sign', { hookInstance: request.hookInstance, policies: [], cards: 0, ms: Date.now() - started });
    return { cards: [], systemActions: [] };
  }
  const ids = new Set(orders.map((o) => o.id).filter(Boolean));
  if (ids.size !== orders.filter((o) => o.id).length) throw new BadRequestError('context.draftOrders has two MedicationRequests with the same id');

  const keys = [...new Set(matches.flatMap((m) => m.policy.definition.prefetch))];
  const data = await gatherPatientData(
    {
      patientId: request.context.patientId,
      userId: request.context.userId,
      ...(request.context.encounterId ? { encounterId: request.context.encounterId } : {}),
      prefetch: request.prefetch,
      ...(request.fhirServer ? { fhirServer: request.fhirServer } : {}),
      ...(request.fhirAuthorization ? { accessToken: request.fhirAuthorization.access_token } : {}),
      draftResources: draftResources as Resource[],
    },
    deps.service.prefetch,
    keys,
    deps.service.coverageKey,
    {
      // An authenticated client may name only its own FHIR servers.
      allowedFhirServers: ctx.client?.fhirServers ?? deps.config.allowedFhirServers,
      timeoutMs: deps.config.fhirTimeoutMs,
      maxPages: deps.config.fhirMaxPages,
      maxResponseBytes: deps.config.limits.fhirMaxResponseBytes,
      maxResources: deps.config.limits.fhirMaxResources,
      ...(deps.metrics ? { observe: (ms: number, result: string) => deps.metrics!.observeFhir(ms, result) } : {}),
    },
  );
  if (data.dropped.otherPatient + data.dropped.wrongType > 0) {
    deps.log.warn('fhir-resources-dropped', { hookInstance: request.hookInstance, ...data.dropped });
  }

  const now = deps.now?.() ?? new Date();
  const today = now.toISOString().slice(0, 10);
  const withCoverage = data.coverage && coverageInformationWanted(request) ? data.coverage : undefined;
  const cards: Card[] = [];
  const annotations = new Map<MedicationRequest, Extension[]>();
  const outcomes: string[] = [];
  for (const m of matches) {
    const fields = m.policy.orderReader.fields(m.order);
    try {
      const evaluate = deps.evaluate ?? ((p: Policy, i: EvaluationInput) => deps.runtime.evaluator.evaluate(p, i));
      const result = await evaluate(m.policy, {
        bundle: data.bundle,
        draftOrder: m.order,
        otherDraftOrders: orders.filter((o) => o !== m.order),
        now,
      });
      cards.push(renderCard(m.policy, result, fields, m.matchedBy, ctx));
      outcomes.push(`${m.policy.definition.id}:${result.outcome}`);
      deps.metrics?.outcomes.inc({ policy: m.policy.definition.id, outcome: result.outcome });
      if (withCoverage) {
        const list = annotations.get(m.order) ?? [];
        list.push(coverageInformation(m.policy, result, withCoverage, today));
        annotations.set(m.order, list);
      }
    } catch (e) {
      if (e instanceof BadRequestError) throw e;
      deps.log.error('policy-evaluation-failed', {
        hookInstance: request.hookInstance,
        policy: m.policy.definition.id,
        error: (e as Error).message,
      });
      cards.push(renderErrorCard(m.policy, fields, ctx));
      outcomes.push(`${m.policy.definition.id}:error`);
      deps.metrics?.outcomes.inc({ policy: m.policy.definition.id, outcome: 'error' });
    }
  }
  const systemActions = [...annotations].map(([order, exts]) => coverageAction(order, exts));
  const outcomeCounts: Record<string, number> = {};
  for (const o of outcomes) {
    const outcome = o.slice(o.indexOf(':') + 1);
    outcomeCounts[outcome] = (outcomeCounts[outcome] ?? 0) + 1;
  }
  deps.log.info('order-sign', {
    hookInstance: request.hookInstance,
    ...(ctx.client ? { client: ctx.client.iss } : {}),
    policies: outcomes,
    outcomes: outcomeCounts,
    fetched: data.fetched,
    cards: cards.length,
    systemActions: systemActions.length,
    ms: Date.now() - started,
  });
  return { cards, systemActions };
}
