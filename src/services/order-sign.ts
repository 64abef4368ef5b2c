import type { Coverage, MedicationRequest, Resource } from 'fhir/r4';
import {
  crdConfiguration,
  crdShape,
  draftMedicationRequests,
  parseOrderSignRequest,
} from '../cds/parse';
import type { CdsResponse, OrderSignRequest } from '../cds/types';
import { FhirSession } from '../patient-data/fhir-session';
import {
  activeCoverages,
  gatherPatientData,
  type GatherOptions,
  type PatientData,
} from '../patient-data/gather';
import {
  findReferencedMedications,
  resolveReferencedMedications,
  type ReferencedMedications,
} from '../patient-data/medications';
import { BadRequestError, FhirTechnicalError } from '../platform/errors';
import { orderDate, versionFor, type Policy } from '../policy/load';
import { selectPolicies, type PolicyMatch } from '../policy/select';
import { citeAnswers, documentedAnswers } from './documentation';
import { evaluateMatches, type CacheUse } from './evaluate-matches';
import { respond } from './respond';
import type { CallContext, OrderSignDeps, OrderSignRun } from './types';

export type { CallContext, OrderSignDeps, OrderSignRun } from './types';

/** The Medications the draft orders reference, and the request's FHIR session that found them. */
export interface Resolved {
  medications: ReferencedMedications;
  fhir: FhirSession;
}

/** The FHIR limits for this call: configuration's, with the client's own server allow-list. */
export function fhirOptions(deps: OrderSignDeps, ctx: CallContext): GatherOptions {
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

const VERSIONS = new WeakMap<Policy[], Policy[]>();

/** Every version of every policy, flattened once per loaded policy list (not per request). */
function everyVersion(policies: Policy[]): Policy[] {
  let all = VERSIONS.get(policies);
  if (!all) {
    all = policies.flatMap((p) => (p.versions.length > 0 ? p.versions : [p]));
    VERSIONS.set(policies, all);
  }
  return all;
}

/**
 * select: the policies each draft MedicationRequest triggers, by its codes or those of its
 * Medication (`medications`, resolved; by default those found in the request itself), each in
 * the version in force on the order's date (authoredOn, else `now`).
 */
export function select(
  request: OrderSignRequest,
  policies: Policy[],
  medications?: ReferencedMedications,
  now: Date = new Date(),
): { orders: MedicationRequest[]; matches: PolicyMatch[] } {
  const orders = draftMedicationRequests(request.context.draftOrders);
  const referenced = medications ?? findReferencedMedications(orders, requestSources(request));
  // order-select: only the selected draft orders are evaluated (the others stay their context).
  const selected = request.selections ? new Set(request.selections) : undefined;
  const versions = everyVersion(policies);
  const matches = selectPolicies(orders, versions, referenced).filter(
    (m) =>
      (!selected || selected.has(`MedicationRequest/${m.order.id ?? ''}`)) &&
      (m.policy.versions.length <= 1 || versionFor(m.policy, orderDate(m.order, now)) === m.policy),
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
      ...(context.userId ? { userId: context.userId } : {}),
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

/** order-select stores its results; an order-sign or -dispatch for a patient with some looks them up. */
function cacheUse(deps: OrderSignDeps, request: OrderSignRequest, now: Date): CacheUse | undefined {
  const cache = deps.selectCache;
  if (!cache) return undefined;
  const mode =
    request.hook === 'order-select'
      ? 'store'
      : cache.has(request.context.patientId, now.getTime())
        ? 'lookup'
        : undefined;
  if (!mode) return undefined;
  const metrics = deps.metrics;
  return {
    cache,
    mode,
    ...(metrics
      ? { count: (result: string) => metrics.selectCache.inc({ hook: request.hook, result }) }
      : {}),
  };
}

/** Whether the response carries the coverage-information annotation (a primary hook, not turned off). */
function annotates(request: OrderSignRequest): boolean {
  const config = crdConfiguration(request);
  return request.hook !== 'order-select' && config.coverageInfo && config.annotate;
}

/**
 * CRD 2.2 (hooks.md, 400): coverage information is about one Coverage; none, or several, active
 * in the prefetch or on the FHIR server is a 400 naming what was found.
 */
function checkOneCoverage(data: PatientData, payers: string[]): void {
  const [coverage] = data.coverages;
  if (coverage && data.coverages.length === 1) {
    if (payers.length > 0 && !handledPayer(coverage, payers))
      throw new BadRequestError(
        `Coverage/${coverage.id ?? '?'}: its payor has no identifier of a payer this service handles (PAYER_IDENTIFIERS)`,
      );
    return;
  }
  throw new BadRequestError(
    data.coverages.length === 0
      ? 'no active Coverage in the prefetch or on the FHIR server: CRD coverage information is about one Coverage (send it in prefetch, or send davinci-crd.configuration {"coverage-info": false})'
      : `${data.coverages.length} active Coverages (${data.coverages.map((c) => `Coverage/${c.id ?? '?'}`).join(', ')}): CRD coverage information is about one; send the one that applies`,
  );
}

/** Whether a payor of the Coverage carries one of the identifiers ("system|value"). */
function handledPayer(coverage: Coverage, payers: string[]): boolean {
  return (coverage.payor ?? []).some((p) =>
    payers.includes(`${p.identifier?.system ?? ''}|${p.identifier?.value ?? ''}`),
  );
}

/**
 * CRD 2.2 (resp-43): a technical failure of the EHR's FHIR server is an answer, not an HTTP error:
 * every matched order is annotated "indeterminate" (reason technical) against the Coverage sent in
 * prefetch. Without exactly one such Coverage there is nothing to annotate: the 412 stands.
 */
function technicalRun(
  deps: OrderSignDeps,
  request: OrderSignRequest,
  matches: PolicyMatch[],
  error: unknown,
): Pick<OrderSignRun, 'data' | 'evaluations'> | undefined {
  if (!(error instanceof FhirTechnicalError) || !annotates(request)) return undefined;
  const coverages = activeCoverages(request.prefetch[deps.service.coverageKey]);
  const [coverage] = coverages;
  if (!coverage || coverages.length !== 1) return undefined;
  deps.log.warn('fhir-technical-failure', {
    hookInstance: request.hookInstance,
    error: error.message,
  });
  return {
    data: {
      bundle: { resourceType: 'Bundle', type: 'collection', entry: [] },
      coverage,
      coverages,
      fetched: [],
      dropped: { otherPatient: 0, wrongType: 0 },
    },
    evaluations: matches.map((match) => ({
      match,
      fields: match.policy.orderReader.fields(match.order),
      error,
    })),
  };
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
  return evaluateRequest(deps, request, ctx, started);
}

/** resolve → select → gather → evaluate on a parsed request (order-sign, -select or -dispatch). */
export async function evaluateRequest(
  deps: OrderSignDeps,
  request: OrderSignRequest,
  ctx: CallContext,
  started: number,
): Promise<OrderSignRun> {
  const resolved = await resolve(deps, request, ctx);
  const now = deps.now();
  const { orders, matches } = select(request, deps.policies, resolved.medications, now);
  if (matches.length === 0) return { request, orders, matches, evaluations: [], now, started };
  const shape = crdShape(request);
  let data: PatientData;
  try {
    data = await gather(deps, request, matches, ctx, resolved);
  } catch (e) {
    const technical = shape === '2.2' ? technicalRun(deps, request, matches, e) : undefined;
    if (!technical) throw e;
    return { request, orders, matches, now, started, ...technical };
  }
  if (shape === '2.2' && annotates(request)) checkOneCoverage(data, deps.payerIdentifiers ?? []);
  // DTR: completed forms sent with the call are documentation, read as record data.
  const documented = documentedAnswers(deps, request, data, now);
  if (documented) data = documented.data;
  const scope = { patientId: request.context.patientId, bundle: data.bundle, now };
  const evaluations = citeAnswers(
    await evaluateMatches(deps.evaluator(), matches, orders, scope, cacheUse(deps, request, now)),
    documented?.answered,
  );
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
