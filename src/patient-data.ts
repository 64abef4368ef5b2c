import type { Bundle, Coverage, FhirResource, OperationOutcome, Resource } from 'fhir/r4';
import { BadRequestError, DataUnavailableError } from './errors';
import { FhirClient, isAllowedServer } from './fhir-client';

/**
 * One collection Bundle of the resources found in prefetch-style values: a Bundle contributes
 * its entries, a single resource itself; null, missing and OperationOutcome values contribute
 * nothing. Duplicates (same type and id) are kept once, the first seen.
 */
export function collectResources(values: unknown[]): Bundle {
  const seen = new Set<string>();
  const entry: Bundle['entry'] = [];
  const add = (r: Resource | undefined) => {
    if (!r || typeof r !== 'object' || typeof r.resourceType !== 'string') return;
    if (r.resourceType === 'OperationOutcome') return;
    if (r.resourceType === 'Bundle') {
      for (const e of (r as Bundle).entry ?? []) add(e.resource);
      return;
    }
    const k = `${r.resourceType}/${r.id ?? ''}`;
    if (r.id && seen.has(k)) return;
    seen.add(k);
    entry.push({ fullUrl: r.id ? k : undefined, resource: r as FhirResource });
  };
  for (const v of values) add(v as Resource | OperationOutcome | undefined);
  return { resourceType: 'Bundle', type: 'collection', entry };
}

/** What one order-sign request gives us to gather data with. */
export interface DataRequest {
  patientId: string;
  userId: string;
  encounterId?: string;
  prefetch: Record<string, unknown>;
  fhirServer?: string;
  accessToken?: string;
  /** Resources that travel with the draft orders (e.g. a Medication they reference). */
  draftResources: Resource[];
}

export interface GatherOptions {
  allowedFhirServers: string[];
  timeoutMs: number;
  maxPages: number;
  maxResponseBytes: number;
  /** Most resources accepted from the FHIR server for one request. */
  maxResources: number;
  observe?: (ms: number, result: string) => void;
}

export interface PatientData {
  /** One collection Bundle with the Patient and everything the policies read. */
  bundle: Bundle;
  /** The patient's active Coverage, when one is known (for the CRD annotation). */
  coverage?: Coverage;
  /** Prefetch keys that were fetched from the FHIR server. */
  fetched: string[];
  /** Resources the FHIR server returned that were dropped: of another patient, or of a type the query does not ask for. */
  dropped: { otherPatient: number; wrongType: number };
}

/** The resource types a prefetch query can rightly return: its own, plus Medications it _includes. */
function typesOf(template: string): Set<string> {
  const type = template.split(/[/?]/)[0] ?? '';
  return new Set([type, ...(/_include=[A-Za-z]+:medication/.test(template) ? ['Medication'] : [])]);
}

type Availability = 'present' | 'empty' | 'missing';

/** Data rule for prefetch values: missing, null or an OperationOutcome = not sent; a searchset
 *  with no entries = sent and empty (used as is when there is no FHIR server to ask). */
function availability(value: unknown): Availability {
  if (value === undefined || value === null || typeof value !== 'object') return 'missing';
  const r = value as Resource;
  if (r.resourceType === 'OperationOutcome') return 'missing';
  if (r.resourceType === 'Bundle') return ((r as Bundle).entry ?? []).some((e) => e.resource) ? 'present' : 'empty';
  return typeof r.resourceType === 'string' ? 'present' : 'missing';
}

/** A prefetch template with the context tokens filled in (values URL-encoded). */
export function fillTemplate(template: string, req: Pick<DataRequest, 'patientId' | 'userId' | 'encounterId'>): string {
  return template.replace(/\{\{\s*context\.(patientId|userId|encounterId)\s*\}\}/g, (_m, name: string) => {
    const v = name === 'patientId' ? req.patientId : name === 'userId' ? req.userId : (req.encounterId ?? '');
    return encodeURIComponent(v);
  });
}

const SUBJECT_FIELDS = ['subject', 'patient', 'beneficiary'] as const;

/** The Patient id a resource says it is about, if it names one. */
function subjectId(r: Resource): string | undefined {
  for (const f of SUBJECT_FIELDS) {
    const ref = (r as unknown as Record<string, { reference?: unknown } | undefined>)[f]?.reference;
    if (typeof ref === 'string') {
      const m = /(?:^|\/)Patient\/([^/]+)$/.exec(ref);
      if (m) return m[1];
    }
  }
  return undefined;
}

/**
 * Gathers the resources the selected policies read: each prefetch key from the request's
 * prefetch, else from the FHIR server with the bearer token (all keys in parallel, one deadline).
 * A key that can be had neither way is a 412; a prefetch about another patient is a 400.
 * The Coverage key is optional: without it there is no CRD annotation, not an error.
 */
export async function gatherPatientData(
  req: DataRequest,
  templates: Record<string, string>,
  keys: string[],
  coverageKey: string,
  options: GatherOptions,
): Promise<PatientData> {
  const wanted = [...new Set([...keys, coverageKey])];
  const values: unknown[] = [];
  const toFetch: string[] = [];
  const dropped = { otherPatient: 0, wrongType: 0 };
  // A server configuration does not allow is treated as no server at all.
  const server = req.fhirServer && isAllowedServer(req.fhirServer, options.allowedFhirServers) ? req.fhirServer : undefined;
  for (const key of wanted) {
    const value = req.prefetch[key];
    const state = availability(value);
    if (state === 'present' || (state === 'empty' && !server)) {
      for (const r of collectResources([value]).entry ?? []) {
        const about = r.resource ? subjectId(r.resource) : undefined;
        const isOtherPatient = r.resource?.resourceType === 'Patient' ? r.resource.id !== req.patientId : about !== undefined && about !== req.patientId;
        if (isOtherPatient) {
          throw new BadRequestError(`prefetch "${key}" holds ${r.resource?.resourceType}/${r.resource?.id ?? '?'} of another patient than context.patientId`);
        }
      }
      values.push(value);
    } else if (server) {
      toFetch.push(key);
    } else if (key !== coverageKey) {
      throw new DataUnavailableError(
        req.fhirServer
          ? `prefetch "${key}" was not sent and fhirServer ${req.fhirServer} is not allowed by this service (ALLOWED_FHIR_SERVERS)`
          : `prefetch "${key}" was not sent and the request has no fhirServer to fetch it from`,
      );
    }
  }
  if (toFetch.length > 0 && server) {
    const client = new FhirClient({
      baseUrl: server,
      ...(req.accessToken ? { accessToken: req.accessToken } : {}),
      deadline: Date.now() + options.timeoutMs,
      maxPages: options.maxPages,
      maxResponseBytes: options.maxResponseBytes,
      ...(options.observe ? { observe: options.observe } : {}),
    });
    const results = await Promise.allSettled(
      toFetch.map(async (key) => {
        const template = templates[key] ?? '';
        const allowed = typesOf(template);
        const found = await client.query(fillTemplate(template, req));
        // Resources of another patient, or of a type the query did not ask for, are dropped (and counted), never evaluated.
        return found.filter((r) => {
          if (typeof r !== 'object' || r === null || !allowed.has(r.resourceType)) {
            dropped.wrongType++;
            return false;
          }
          const ours = r.resourceType === 'Patient' ? r.id === req.patientId : (subjectId(r) ?? req.patientId) === req.patientId;
          if (!ours) dropped.otherPatient++;
          return ours;
        });
      }),
    );
    let total = 0;
    results.forEach((r, i) => {
      const key = toFetch[i] as string;
      if (r.status === 'fulfilled') {
        total += r.value.length;
        values.push(...r.value);
      } else if (key !== coverageKey) throw r.reason;
    });
    if (total > options.maxResources) {
      throw new DataUnavailableError(`the FHIR server returned more than ${options.maxResources} resources for this patient (FHIR_MAX_RESOURCES)`);
    }
  }
  const bundle = collectResources([...values, ...req.draftResources]);
  const entries = bundle.entry ?? [];
  const patients = entries.filter((e) => e.resource?.resourceType === 'Patient');
  if (patients.length === 0) throw new DataUnavailableError(`no Patient/${req.patientId} in the prefetch or on the FHIR server`);
  const coverage = entries
    .map((e) => e.resource)
    .find((r): r is Coverage => r?.resourceType === 'Coverage' && (r as Coverage).status === 'active');
  return { bundle, ...(coverage ? { coverage } : {}), fetched: toFetch, dropped };
}
