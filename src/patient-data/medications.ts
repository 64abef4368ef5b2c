import type { Medication, MedicationRequest, Resource } from 'fhir/r4';
import { FhirUpstreamError, isUnder } from './fhir-client';
import type { FhirSession } from './fhir-session';

/** The Medication each draft order references outside itself (not "#id"), where it was found. */
export type ReferencedMedications = Map<MedicationRequest, Medication>;

const FHIR_ID = /^[A-Za-z0-9\-.]{1,64}$/;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The order's medicationReference.reference when it points outside the order (not "#id"). */
function outsideReference(order: MedicationRequest): string | undefined {
  const ref: unknown = order.medicationReference?.reference;
  return typeof ref === 'string' && ref !== '' && !ref.startsWith('#') ? ref : undefined;
}

/** A reference without its version: "Medication/1/_history/2" is "Medication/1". */
function unversioned(ref: string): string {
  return ref.replace(/\/_history\/[^/]+$/, '');
}

/** Whether an entry is the Medication `ref` points to: by its fullUrl, or by type and id. */
function isTarget(ref: string, entry: { resource?: unknown; fullUrl?: unknown }): boolean {
  const r = entry.resource as Resource | undefined;
  if (!isObject(r) || r.resourceType !== 'Medication') return false;
  const target = unversioned(ref);
  if (typeof entry.fullUrl === 'string' && (entry.fullUrl === ref || entry.fullUrl === target))
    return true;
  if (typeof r.id !== 'string' || r.id === '') return false;
  return target === `Medication/${r.id}` || target.endsWith(`/Medication/${r.id}`);
}

/** The entries of a request value: a Bundle's entries (included ones too), or the resource itself. */
function entriesOf(value: unknown): { resource?: unknown; fullUrl?: unknown }[] {
  if (!isObject(value)) return [];
  if (value.resourceType !== 'Bundle') return [{ resource: value }];
  return Array.isArray(value.entry) ? value.entry.filter(isObject) : [];
}

/**
 * The Medications the orders reference that are in `sources` (request values: the draftOrders
 * Bundle, then every prefetch value, searchset entries of mode "include" too), first match wins.
 */
export function findReferencedMedications(
  orders: MedicationRequest[],
  sources: unknown[],
): ReferencedMedications {
  const found: ReferencedMedications = new Map();
  const entries = sources.flatMap(entriesOf);
  for (const order of orders) {
    const ref = outsideReference(order);
    const hit = ref === undefined ? undefined : entries.find((e) => isTarget(ref, e));
    if (hit) found.set(order, hit.resource as Medication);
  }
  return found;
}

/**
 * The id to read from `server` for a reference: "Medication/{id}", or an absolute URL under the
 * server ending in "/Medication/{id}" (either with a version); undefined for anything else, such
 * as a URL on another server (the token never goes there).
 */
export function serverMedicationId(ref: string, server: string): string | undefined {
  const path = /^[a-z][a-z0-9+.-]*:/i.test(ref)
    ? isUnder(ref, server)
      ? new URL(ref).pathname.slice(new URL(server).pathname.replace(/\/+$/, '').length)
      : undefined
    : `/${ref}`;
  const m = path === undefined ? null : /^\/Medication\/([^/]+)(?:\/_history\/[^/]+)?$/.exec(path);
  return m && FHIR_ID.test(m[1]!) ? m[1] : undefined;
}

/** Reads Medication/{id}; undefined when the server does not have it (404, 410) or answers another resource. */
async function readMedication(fhir: FhirSession, id: string): Promise<Medication | undefined> {
  try {
    const found = await fhir.client!.query(`Medication/${id}`);
    const med = found.find((r): r is Medication => r.resourceType === 'Medication' && r.id === id);
    if (med) fhir.receive(1);
    return med;
  } catch (e) {
    if (e instanceof FhirUpstreamError && (e.upstreamStatus === 404 || e.upstreamStatus === 410))
      return undefined;
    throw e;
  }
}

/**
 * The Medication each draft order references outside itself: found in `sources` (the
 * draftOrders Bundle, then the prefetch), else read from the request's FHIR server
 * (`GET Medication/{id}` with the bearer token) when configuration allows it. A reference found
 * nowhere is left out (that order's drug is unknown); a server that fails other than by not
 * having it is a 412, as for any FHIR read.
 */
export async function resolveReferencedMedications(
  orders: MedicationRequest[],
  sources: unknown[],
  fhir: FhirSession,
): Promise<ReferencedMedications> {
  const found = findReferencedMedications(orders, sources);
  const server = fhir.server;
  if (!server) return found;
  const wanted = new Map<string, MedicationRequest[]>();
  for (const order of orders) {
    const ref = outsideReference(order);
    const id = ref === undefined || found.has(order) ? undefined : serverMedicationId(ref, server);
    if (id !== undefined) wanted.set(id, [...(wanted.get(id) ?? []), order]);
  }
  const read = await Promise.all([...wanted.keys()].map((id) => readMedication(fhir, id)));
  [...wanted.values()].forEach((waiting, i) => {
    const med = read[i];
    if (med) for (const order of waiting) found.set(order, med);
  });
  return found;
}
