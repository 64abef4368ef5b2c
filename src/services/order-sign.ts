import type { MedicationRequest, Resource } from 'fhir/r4';
import { draftMedicationRequests, parseOrderSignRequest } from '../cds/parse';
import type { CdsResponse, OrderSignRequest } from '../cds/types';
import { FhirSession } from '../patient-data/fhir-session';
import { gatherPatientData, type GatherOptions, type PatientData } from '../patient-data/gather';
import {
  findReferencedMedications,
  resolveReferencedMedications,
  type ReferencedMedications,
} from '../patient-data/medications';
import { BadRequestError } from '../platform/errors';
import type { Policy } from '../policy/load';
import { selectPolicies, type PolicyMatch } from '../policy/select';
import { evaluateMatches } from './evaluate-matches';
import { respond } from './respond';
import type { CallContext, OrderSignDeps, OrderSignRun } from './types';

export type { CallContext, OrderSignDeps, OrderSignRun } from './types';

/** The Medications the draft orders reference, and the request's FHIR session that found them. */
export interface Resolved {
  medications: ReferencedMedications;
  fhir: FhirSession;
}

/** The FHIR limits for this call: configuration's, with the client's own server allow-list. */
function fhirOptions(deps: OrderSignDeps, ctx: CallContext): GatherOptions {
  const metrics = deps.metrics;
  return {
    ...deps.gather,
    // An authenticated client may name only its own FHIR servers.
    allowedFhirServers: ctx.client?.fhirServers ?? deps.gather.allowedFhirServers,
    ...(metrics
      ? { observe: (ms: number, result: string) => metrics.observeFhir(ms, result) }
      : {}),
  };
}

/** Where a draft order's Medication may be in the request: the draftOrders, then the prefetch. */
function requestSources(request: OrderSignRequest): unknown[] {
  return [request.context.draftOrders, ...Object.values(request.prefetch)];
}

/**
 * resolve: the Medication each draft order references outside itself, from the draftOrders, the
 * prefetch, else the FHIR server; it opens the request's FHIR session (one deadline, one budget).
 */
export async function resolve(
  deps: OrderSignDeps,
  request: OrderSignRequest,
  ctx: CallContext,
): Promise<Resolved> {
  const token = request.fhirAuthorization?.access_token;
  const fhir = new FhirSession(request.fhirServer, token, fhirOptions(deps, ctx));
  const orders = draftMedicationRequests(request.context.draftOrders);
  const medications = await resolveReferencedMedications(orders, requestSources(request), fhir);
  return { medications, fhir };
}

/**
 * select: the policies each draft MedicationRequest triggers, by its codes or those of its
 * Medication (`medications`, resolved; by default those found in the request itself).
 */
export function select(
  request: OrderSignRequest,
  policies: Policy[],
  medications?: ReferencedMedications,
): { orders: MedicationRequest[]; matches: PolicyMatch[] } {
  const orders = draftMedicationRequests(request.context.draftOrders);
  const referenced = medications ?? findReferencedMedications(orders, requestSources(request));
  // order-select: only the selected draft orders are evaluated (the others stay their context).
  const selected = request.selections ? new Set(request.selections) : undefined;
  const matches = selectPolicies(orders, policies, referenced).filter(
    (m) => !selected || selected.has(`MedicationRequest/${m.order.id ?? ''}`),
  );
  // Only ids that are there must differ: draft orders without an id are each their own order.
  const ids = orders.map((o) => o.id).filter(Boolean);
  if (matches.length > 0 && new Set(ids).size !== ids.length)
    throw new BadRequestError('context.draftOrders has two MedicationRequests with the same id');
  return { orders, matches };
}

/**
 * gather: the record the matched policies read, from prefetch, else from the FHIR server, with
 * the Medications the draft orders reference (the policies find a draft's drug in the record).
 */
export function gather(
  deps: OrderSignDeps,
  request: OrderSignRequest,
  matches: PolicyMatch[],
  ctx: CallContext,
  resolved?: Resolved,
): Promise<PatientData> {
  const { context } = request;
  const draftResources: Resource[] = (context.draftOrders.entry ?? []).flatMap((e) =>
    e.resource && e.resource.resourceType !== 'MedicationRequest' ? [e.resource] : [],
  );
  const orders = draftMedicationRequests(context.draftOrders);
  const medications =
    resolved?.medications ?? findReferencedMedications(orders, requestSources(request));
  return gatherPatientData(
    {
      patientId: context.patientId,
      userId: context.userId,
      ...(context.encounterId ? { encounterId: context.encounterId } : {}),
      prefetch: request.prefetch,
      ...(request.fhirServer ? { fhirServer: request.fhirServer } : {}),
      ...(request.fhirAuthorization ? { accessToken: request.fhirAuthorization.access_token } : {}),
      draftResources,
      referencedMedications: [...new Set(medications.values())],
    },
    {
      templates: deps.service.prefetch,
      keys: [...new Set(matches.flatMap((m) => m.policy.definition.prefetch))],
      coverageKey: deps.service.coverageKey,
    },
    fhirOptions(deps, ctx),
    resolved?.fhir,
  );
}

/**
 * parse → resolve → select → gather → evaluate: what the service, the CLI, the benchmark and the
 * kit share.
 */
export async function evaluateOrderSign(
  deps: OrderSignDeps,
  body: unknown,
  ctx: CallContext,
): Promise<OrderSignRun> {
  const started = Date.now();
  const request = parseOrderSignRequest(body, deps.service, deps.limits);
  const resolved = await resolve(deps, request, ctx);
  const { orders, matches } = select(request, deps.policies, resolved.medications);
  const now = deps.now();
  if (matches.length === 0) return { request, orders, matches, evaluations: [], now, started };
  const data = await gather(deps, request, matches, ctx, resolved);
  const scope = { patientId: request.context.patientId, bundle: data.bundle, now };
  const evaluations = await evaluateMatches(deps.evaluator(), matches, orders, scope);
  return { request, orders, matches, data, evaluations, now, started };
}

/** The order-sign handler: parse → resolve → select → gather → evaluate → respond. */
export async function handleOrderSign(
  deps: OrderSignDeps,
  body: unknown,
  ctx: CallContext,
): Promise<CdsResponse> {
  return respond(deps, await evaluateOrderSign(deps, body, ctx), ctx);
}
