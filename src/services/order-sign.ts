import type { MedicationRequest, Resource } from 'fhir/r4';
import { draftMedicationRequests, parseOrderSignRequest } from '../cds/parse';
import type { CdsResponse, OrderSignRequest } from '../cds/types';
import { gatherPatientData, type PatientData } from '../patient-data/gather';
import { BadRequestError } from '../platform/errors';
import type { Policy } from '../policy/load';
import { selectPolicies, type PolicyMatch } from '../policy/select';
import { evaluateMatches } from './evaluate-matches';
import { respond } from './respond';
import type { CallContext, OrderSignDeps, OrderSignRun } from './types';

export type { CallContext, OrderSignDeps, OrderSignRun } from './types';

/** select: the policies each draft MedicationRequest triggers. */
export function select(
  request: OrderSignRequest,
  policies: Policy[],
): { orders: MedicationRequest[]; matches: PolicyMatch[] } {
  const drafts = request.context.draftOrders;
  const orders = draftMedicationRequests(drafts);
  const matches = selectPolicies(orders, policies, [drafts]);
  const ids = orders.map((o) => o.id).filter(Boolean);
  if (matches.length > 0 && new Set(ids).size !== ids.length)
    throw new BadRequestError('context.draftOrders has two MedicationRequests with the same id');
  return { orders, matches };
}

/** gather: the record the matched policies read, from prefetch, else from the FHIR server. */
export function gather(
  deps: OrderSignDeps,
  request: OrderSignRequest,
  matches: PolicyMatch[],
  ctx: CallContext,
): Promise<PatientData> {
  const { context } = request;
  const draftResources: Resource[] = (context.draftOrders.entry ?? []).flatMap((e) =>
    e.resource && e.resource.resourceType !== 'MedicationRequest' ? [e.resource] : [],
  );
  const metrics = deps.metrics;
  return gatherPatientData(
    {
      patientId: context.patientId,
      userId: context.userId,
      ...(context.encounterId ? { encounterId: context.encounterId } : {}),
      prefetch: request.prefetch,
      ...(request.fhirServer ? { fhirServer: request.fhirServer } : {}),
      ...(request.fhirAuthorization ? { accessToken: request.fhirAuthorization.access_token } : {}),
      draftResources,
    },
    {
      templates: deps.service.prefetch,
      keys: [...new Set(matches.flatMap((m) => m.policy.definition.prefetch))],
      coverageKey: deps.service.coverageKey,
    },
    {
      ...deps.gather,
      // An authenticated client may name only its own FHIR servers.
      allowedFhirServers: ctx.client?.fhirServers ?? deps.gather.allowedFhirServers,
      ...(metrics
        ? { observe: (ms: number, result: string) => metrics.observeFhir(ms, result) }
        : {}),
    },
  );
}

/** parse → select → gather → evaluate: what the service, the CLI, the benchmark and the kit share. */
export async function evaluateOrderSign(
  deps: OrderSignDeps,
  body: unknown,
  ctx: CallContext,
): Promise<OrderSignRun> {
  const started = Date.now();
  const request = parseOrderSignRequest(body, deps.service, deps.limits);
  const { orders, matches } = select(request, deps.policies);
  const now = deps.now();
  if (matches.length === 0) return { request, orders, matches, evaluations: [], now, started };
  const data = await gather(deps, request, matches, ctx);
  const scope = { patientId: request.context.patientId, bundle: data.bundle, now };
  const evaluations = await evaluateMatches(deps.evaluator(), matches, orders, scope);
  return { request, orders, matches, data, evaluations, now, started };
}

/** The order-sign handler: parse → select → gather → evaluate → respond. */
export async function handleOrderSign(
  deps: OrderSignDeps,
  body: unknown,
  ctx: CallContext,
): Promise<CdsResponse> {
  return respond(deps, await evaluateOrderSign(deps, body, ctx), ctx);
}
