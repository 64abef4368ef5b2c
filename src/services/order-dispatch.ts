import type { Bundle, MedicationRequest } from 'fhir/r4';
import { checkDraftSubjects } from '../cds/parse';
import { parseOrderDispatchRequest, type OrderDispatchRequest } from '../cds/parse-dispatch';
import type { CdsResponse, OrderSignRequest } from '../cds/types';
import { FhirUpstreamError } from '../patient-data/fhir-client';
import { FhirSession } from '../patient-data/fhir-session';
import { DataUnavailableError } from '../platform/errors';
import { evaluateRequest, fhirOptions } from './order-sign';
import { respond } from './respond';
import type { CallContext, OrderSignDeps } from './types';

const MEDICATION_REQUEST = /^MedicationRequest\/([A-Za-z0-9\-.]{1,64})$/;

/** A MedicationRequest with this id among the prefetch values (Bundles or single resources). */
function inPrefetch(prefetch: Record<string, unknown>, id: string): MedicationRequest | undefined {
  for (const value of Object.values(prefetch)) {
    const v = value as (Bundle & { id?: string }) | MedicationRequest | null;
    const resources =
      v?.resourceType === 'Bundle'
        ? (Array.isArray(v.entry) ? v.entry : []).map((e) => e?.resource)
        : [v];
    const hit = resources.find(
      (r): r is MedicationRequest => r?.resourceType === 'MedicationRequest' && r.id === id,
    );
    if (hit) return hit;
  }
  return undefined;
}

/** Reads MedicationRequest/{id} from the EHR with the hook's token; a 404 or 410 names the order. */
async function read(fhir: FhirSession, id: string, at: string): Promise<MedicationRequest> {
  let found;
  try {
    found = await fhir.client!.query(`MedicationRequest/${id}`);
  } catch (e) {
    if (e instanceof FhirUpstreamError && (e.upstreamStatus === 404 || e.upstreamStatus === 410))
      throw new DataUnavailableError(`${at} (MedicationRequest/${id}) is not on the FHIR server`);
    throw e;
  }
  const order = found.find(
    (r): r is MedicationRequest => r.resourceType === 'MedicationRequest' && r.id === id,
  );
  if (!order)
    throw new DataUnavailableError(`${at} (MedicationRequest/${id}) is not on the FHIR server`);
  fhir.receive(1);
  return order;
}

/**
 * The dispatched MedicationRequests: from the context (a Bundle), else the prefetch, else read
 * from the EHR with the token. Orders of other types are not this service's. One found nowhere is
 * a 412 naming it; one of another patient a 400.
 */
async function dispatchedOrders(
  deps: OrderSignDeps,
  d: OrderDispatchRequest,
  ctx: CallContext,
): Promise<MedicationRequest[]> {
  const fhir = new FhirSession(
    d.fhirServer,
    d.fhirAuthorization?.access_token,
    fhirOptions(deps, ctx),
  );
  const orders = await Promise.all(
    d.dispatched.map(async (ref, i) => {
      const id = MEDICATION_REQUEST.exec(ref)?.[1];
      if (!id) return undefined;
      const at = `context.dispatchedOrders[${i}]`;
      const order = d.sent.get(ref) ?? inPrefetch(d.prefetch, id);
      if (order) return order;
      if (!fhir.client)
        throw new DataUnavailableError(
          `${at} (${ref}) is neither in the context nor in the prefetch, and ${fhir.noServerReason()}`,
        );
      return read(fhir, id, at);
    }),
  );
  return orders.filter((o): o is MedicationRequest => o !== undefined);
}

/**
 * The order-dispatch handler (CRD: a primary hook): the dispatched orders are resolved, then taken
 * through the same steps as a signed order (resolve → select → gather → evaluate → respond), with
 * the coverage-information annotation. The performer and the fulfillment Tasks are read and kept
 * in the request; the policies do not depend on them.
 */
export async function handleOrderDispatch(
  deps: OrderSignDeps,
  body: unknown,
  ctx: CallContext,
): Promise<CdsResponse> {
  const started = Date.now();
  const d = parseOrderDispatchRequest(body, deps.service, deps.limits);
  const orders = await dispatchedOrders(deps, d, ctx);
  const draftOrders: Bundle = {
    resourceType: 'Bundle',
    type: 'collection',
    entry: orders.map((resource) => ({ resource })),
  };
  checkDraftSubjects(draftOrders, d.patientId);
  const request: OrderSignRequest = {
    hook: 'order-dispatch',
    dispatch: { performer: d.performer, fulfillmentTasks: d.fulfillmentTasks },
    hookInstance: d.hookInstance,
    ...(d.fhirServer ? { fhirServer: d.fhirServer } : {}),
    ...(d.fhirAuthorization ? { fhirAuthorization: d.fhirAuthorization } : {}),
    context: {
      patientId: d.patientId,
      ...(d.encounterId ? { encounterId: d.encounterId } : {}),
      draftOrders,
    },
    prefetch: d.prefetch,
    ...(d.extension ? { extension: d.extension } : {}),
  };
  return respond(deps, await evaluateRequest(deps, request, ctx, started), ctx);
}
