import type { Bundle, Coverage, Resource } from 'fhir/r4';
import { BadRequestError, DataUnavailableError } from '../platform/errors';
import { collectResources, subjectId } from './bundle';
import { FhirClient, isAllowedServer } from './fhir-client';

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
  if (r.resourceType === 'Bundle')
    return ((r as Bundle).entry ?? []).some((e) => e.resource) ? 'present' : 'empty';
  return typeof r.resourceType === 'string' ? 'present' : 'missing';
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
            ? req.userId
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
  for (const { resource: r } of collectResources([value]).entry ?? []) {
    if (!r) continue;
    const about = subjectId(r);
    const other =
      r.resourceType === 'Patient'
        ? r.id !== patientId
        : about !== undefined && about !== patientId;
    if (other)
      throw new BadRequestError(
        `prefetch "${key}" holds ${r.resourceType}/${r.id ?? '?'} of another patient than context.patientId`,
      );
  }
}

/** Fetches the keys from the FHIR server (in parallel, one deadline); drops what the query cannot rightly return. */
async function fetchKeys(
  req: DataRequest,
  server: string,
  keys: string[],
  plan: GatherPlan,
  options: GatherOptions,
) {
  const dropped = { otherPatient: 0, wrongType: 0 };
  const client = new FhirClient({
    baseUrl: server,
    ...(req.accessToken ? { accessToken: req.accessToken } : {}),
    deadline: Date.now() + options.timeoutMs,
    maxPages: options.maxPages,
    maxResponseBytes: options.maxResponseBytes,
    ...(options.observe ? { observe: options.observe } : {}),
  });
  const ours = (r: Resource) =>
    r.resourceType === 'Patient'
      ? r.id === req.patientId
      : (subjectId(r) ?? req.patientId) === req.patientId;
  const results = await Promise.allSettled(
    keys.map(async (key) => {
      const template = plan.templates[key] ?? '';
      const allowed = typesOf(template);
      const found = await client.query(fillTemplate(template, req));
      // Resources of another patient, or of a type the query did not ask for, are dropped (and counted), never evaluated.
      return found.filter((r) => {
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
    else if (keys[i] !== plan.coverageKey) throw r.reason;
  });
  if (values.length > options.maxResources) {
    throw new DataUnavailableError(
      `the FHIR server returned more than ${options.maxResources} resources for this patient (FHIR_MAX_RESOURCES)`,
    );
  }
  return { values, dropped };
}

/**
 * Gathers the resources the selected policies read: each prefetch key from the request's
 * prefetch, else from the FHIR server with the bearer token (all keys in parallel, one deadline).
 * A key that can be had neither way is a 412; a prefetch about another patient is a 400; the
 * record must hold the request's Patient (412 otherwise), so evaluation can rely on it.
 * The Coverage key is optional: without it there is no CRD annotation, not an error.
 */
export async function gatherPatientData(
  req: DataRequest,
  plan: GatherPlan,
  options: GatherOptions,
): Promise<PatientData> {
  const values: unknown[] = [];
  const toFetch: string[] = [];
  // A server configuration does not allow is treated as no server at all.
  const server =
    req.fhirServer && isAllowedServer(req.fhirServer, options.allowedFhirServers)
      ? req.fhirServer
      : undefined;
  for (const key of new Set([...plan.keys, plan.coverageKey])) {
    const value = req.prefetch[key];
    const state = availability(value);
    if (state === 'present' || (state === 'empty' && !server)) {
      checkPrefetchSubject(key, value, req.patientId);
      values.push(value);
    } else if (server) {
      toFetch.push(key);
    } else if (key !== plan.coverageKey) {
      throw new DataUnavailableError(
        req.fhirServer
          ? `prefetch "${key}" was not sent and fhirServer ${req.fhirServer} is not allowed by this service (ALLOWED_FHIR_SERVERS)`
          : `prefetch "${key}" was not sent and the request has no fhirServer to fetch it from`,
      );
    }
  }
  const fetched =
    server && toFetch.length > 0
      ? await fetchKeys(req, server, toFetch, plan, options)
      : { values: [], dropped: { otherPatient: 0, wrongType: 0 } };
  const bundle = collectResources([...values, ...fetched.values, ...req.draftResources]);
  const resources = (bundle.entry ?? []).map((e) => e.resource);
  if (!resources.some((r) => r?.resourceType === 'Patient' && r.id === req.patientId)) {
    throw new DataUnavailableError(
      `no Patient/${req.patientId} in the prefetch or on the FHIR server`,
    );
  }
  const coverage = resources.find(
    (r): r is Coverage => r?.resourceType === 'Coverage' && r.status === 'active',
  );
  return { bundle, ...(coverage ? { coverage } : {}), fetched: toFetch, dropped: fetched.dropped };
}
