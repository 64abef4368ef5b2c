import type { Bundle, Coverage, FhirResource, Medication, Resource } from 'fhir/r4';
import { BadRequestError, DataUnavailableError } from '../platform/errors';
import { collectResources, forEachResource, subjectId } from './bundle';
import { nextLink } from './fhir-client';
import { FhirSession, type FhirOptions } from './fhir-session';

/** What one order-sign request gives us to gather data with. */
export interface DataRequest {
  patientId: string;
  userId?: string;
  encounterId?: string;
  prefetch: Record<string, unknown>;
  fhirServer?: string;
  accessToken?: string;
  /** Resources that travel with the draft orders (e.g. a Medication they reference). */
  draftResources: Resource[];
  /** Medications the draft orders reference, found in the prefetch or on the FHIR server. */
  referencedMedications?: Medication[];
}

/** FHIR fetching limits and allow-list (configuration, per client). */
export type GatherOptions = FhirOptions;

export interface PatientData {
  /** One collection Bundle with the Patient and everything the policies read. */
  bundle: Bundle;
  /** The patient's active Coverage, when one is known (for the CRD annotation). */
  coverage?: Coverage;
  /** Every active Coverage found (CRD 2.2 needs exactly one). */
  coverages: Coverage[];
  /** Prefetch keys the FHIR server was asked for: not sent, or sent with more pages. */
  fetched: string[];
  /** Resources the FHIR server returned that were dropped: of another patient, or of a type the query does not ask for. */
  dropped: { otherPatient: number; wrongType: number };
}

/** The active Coverages among resources (or in a Bundle), one per id. */
export function activeCoverages(resources: unknown): Coverage[] {
  const one = resources as { resourceType?: string; entry?: Bundle['entry'] } | null | undefined;
  const list: unknown[] = Array.isArray(resources)
    ? resources
    : one?.resourceType === 'Coverage'
      ? [one]
      : (Array.isArray(one?.entry) ? one.entry : []).map((e) => e?.resource);
  const seen = new Map<string, Coverage>();
  for (const r of list) {
    const c = r as Coverage | undefined;
    if (c?.resourceType === 'Coverage' && c.status === 'active' && !seen.has(c.id ?? ''))
      seen.set(c.id ?? '', c);
  }
  return [...seen.values()];
}

/** The resource types a prefetch query can rightly return: its own, plus Medications it _includes. */
function typesOf(template: string): Set<string> {
  const type = template.split(/[/?]/)[0] ?? '';
  return new Set([type, ...(/_include=[A-Za-z]+:medication/.test(template) ? ['Medication'] : [])]);
}

type Availability = 'complete' | 'partial' | 'missing';

/**
 * Data rule for prefetch values (CDS Hooks: what the client sent is data): missing, null or an
 * OperationOutcome = not sent; a resource, or a searchset without a next link = complete, even
 * with no entries (an empty result is "none", not "unknown"); a searchset with a next link =
 * partial, the rest to be had from the FHIR server.
 */
function availability(value: unknown): Availability {
  if (value === undefined || value === null || typeof value !== 'object') return 'missing';
  const r = value as Resource;
  if (r.resourceType === 'OperationOutcome') return 'missing';
  if (r.resourceType === 'Bundle')
    return nextLink(r as Bundle) === undefined ? 'complete' : 'partial';
  return typeof r.resourceType === 'string' ? 'complete' : 'missing';
}

/** A prefetch template with the context tokens filled in (values URL-encoded). */
export function fillTemplate(
  template: string,
  req: Pick<DataRequest, 'patientId' | 'userId' | 'encounterId'>,
): string {
  return template.replace(
    /\{\{\s*context\.(patientId|userId|encounterId)\s*\}\}/g,
    (_m, name: string) => {
      const v =
        name === 'patientId'
          ? req.patientId
          : name === 'userId'
            ? (req.userId ?? '')
            : (req.encounterId ?? '');
      return encodeURIComponent(v);
    },
  );
}

/** Which prefetch keys to gather, their templates, and the (optional) Coverage key. */
export interface GatherPlan {
  templates: Record<string, string>;
  keys: string[];
  coverageKey: string;
}

/** Every resource of a prefetch value must be about the request's patient (else a 400). */
function checkPrefetchSubject(key: string, value: unknown, patientId: string): void {
  forEachResource([value], (r) => {
    const about = subjectId(r);
    const other =
      r.resourceType === 'Patient'
        ? r.id !== patientId
        : about !== undefined && about !== patientId;
    if (other)
      throw new BadRequestError(
        `prefetch "${key}" holds ${r.resourceType}/${r.id ?? '?'} of another patient than context.patientId`,
      );
  });
}

/** What to do for each prefetch key: use the values sent, and ask the server for the rest. */
interface KeyPlan {
  /** Prefetch values used as sent (their subjects checked). */
  values: unknown[];
  /** Keys not sent: searched on the server with their templates. */
  fetch: string[];
  /** Keys sent with a next link: their further pages read from the server. */
  continue: string[];
}

/**
 * Sorts the keys by availability. A key the policies need that was not sent, or sent only in
 * part, with no server to ask is a 412; the Coverage key is optional (its first page, if any, is
 * used as is).
 */
function planKeys(req: DataRequest, plan: GatherPlan, fhir: FhirSession): KeyPlan {
  const out: KeyPlan = { values: [], fetch: [], continue: [] };
  for (const key of new Set([...plan.keys, plan.coverageKey])) {
    const value = req.prefetch[key];
    const state = availability(value);
    const optional = key === plan.coverageKey;
    if (state !== 'missing') {
      checkPrefetchSubject(key, value, req.patientId);
      out.values.push(value);
    }
    if (state === 'partial' && fhir.server) out.continue.push(key);
    else if (state === 'partial' && !optional) {
      throw new DataUnavailableError(
        `prefetch "${key}" is incomplete (its searchset has a next link) and ${fhir.noServerReason('the rest')}`,
      );
    } else if (state === 'missing' && fhir.server) out.fetch.push(key);
    else if (state === 'missing' && !optional) {
      throw new DataUnavailableError(`prefetch "${key}" was not sent and ${fhir.noServerReason()}`);
    }
  }
  return out;
}

/**
 * Asks the FHIR server (in parallel, under the request's one deadline) for the keys not sent and
 * the further pages of the keys sent in part; drops what a query cannot rightly return.
 */
async function fetchKeys(req: DataRequest, keys: KeyPlan, plan: GatherPlan, fhir: FhirSession) {
  const dropped = { otherPatient: 0, wrongType: 0 };
  const client = fhir.client;
  if (!client || keys.fetch.length + keys.continue.length === 0) return { values: [], dropped };
  const ours = (r: Resource) =>
    r.resourceType === 'Patient'
      ? r.id === req.patientId
      : (subjectId(r) ?? req.patientId) === req.patientId;
  const read = (key: string): Promise<FhirResource[]> =>
    keys.continue.includes(key)
      ? client.nextPages(req.prefetch[key] as Bundle, `prefetch "${key}"`)
      : client.query(fillTemplate(plan.templates[key] ?? '', req));
  const asked = [...keys.fetch, ...keys.continue];
  const results = await Promise.allSettled(
    asked.map(async (key) => {
      const allowed = typesOf(plan.templates[key] ?? '');
      // Resources of another patient, or of a type the query did not ask for, are dropped (and counted), never evaluated.
      return (await read(key)).filter((r) => {
        const wrongType = typeof r !== 'object' || r === null || !allowed.has(r.resourceType);
        if (wrongType) dropped.wrongType++;
        else if (!ours(r)) dropped.otherPatient++;
        return !wrongType && ours(r);
      });
    }),
  );
  const values: Resource[] = [];
  results.forEach((r, i) => {
    if (r.status === 'fulfilled') values.push(...r.value);
    else if (asked[i] !== plan.coverageKey) throw r.reason;
  });
  fhir.receive(values.length);
  return { values, dropped };
}

/**
 * Gathers the resources the selected policies read: each prefetch key from the request's
 * prefetch, else from the FHIR server with the bearer token; a prefetch searchset with a next
 * link is completed from the server (all in parallel, one deadline). An empty prefetch
 * searchset is an answer ("none") and is not asked again. A key that can be had neither way is a
 * 412; a prefetch about another patient is a 400; the record must hold the request's Patient
 * (412 otherwise), so evaluation can rely on it. The Coverage key is optional: without it there
 * is no CRD annotation, not an error. `fhir` is the request's FHIR session when the caller
 * already has one (its deadline and resource budget are shared).
 */
export async function gatherPatientData(
  req: DataRequest,
  plan: GatherPlan,
  options: GatherOptions,
  fhir: FhirSession = new FhirSession(req.fhirServer, req.accessToken, options),
): Promise<PatientData> {
  const keys = planKeys(req, plan, fhir);
  const fetched = await fetchKeys(req, keys, plan, fhir);
  const bundle = collectResources([
    ...keys.values,
    ...fetched.values,
    ...req.draftResources,
    ...(req.referencedMedications ?? []),
  ]);
  const resources = (bundle.entry ?? []).map((e) => e.resource);
  if (!resources.some((r) => r?.resourceType === 'Patient' && r.id === req.patientId)) {
    throw new DataUnavailableError(
      `no Patient/${req.patientId} in the prefetch or on the FHIR server`,
    );
  }
  const coverages = activeCoverages(resources);
  const coverage = coverages[0];
  return {
    bundle,
    ...(coverage ? { coverage } : {}),
    coverages,
    fetched: [...keys.fetch, ...keys.continue],
    dropped: fetched.dropped,
  };
}
