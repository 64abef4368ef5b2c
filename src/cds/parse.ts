import type { Bundle, MedicationRequest } from 'fhir/r4';
import { BadRequestError } from '../platform/errors';
import type { ServiceDefinition } from './service-definition';
import type { FhirAuthorization, OrderSignRequest } from './types';

const CRD_CONFIGURATION = 'davinci-crd.configuration';

function fail(message: string): never {
  throw new BadRequestError(message);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function nonEmptyString(v: unknown, field: string, max = 1024): string {
  if (typeof v !== 'string' || v.trim() === '') fail(`${field} must be a non-empty string`);
  if (v.length > max) fail(`${field} is longer than ${max} characters`);
  return v;
}

function parseAuthorization(v: unknown): FhirAuthorization {
  if (!isObject(v)) fail('fhirAuthorization must be an object');
  const access_token = nonEmptyString(v.access_token, 'fhirAuthorization.access_token', 16384);
  const token_type = nonEmptyString(v.token_type, 'fhirAuthorization.token_type');
  if (token_type.toLowerCase() !== 'bearer') fail('fhirAuthorization.token_type must be "Bearer"');
  if (v.expires_in !== undefined && (typeof v.expires_in !== 'number' || !Number.isFinite(v.expires_in))) fail('fhirAuthorization.expires_in must be a number');
  for (const f of ['scope', 'subject', 'patient'] as const) {
    if (v[f] !== undefined && typeof v[f] !== 'string') fail(`fhirAuthorization.${f} must be a string`);
  }
  return {
    access_token,
    token_type,
    ...(typeof v.expires_in === 'number' ? { expires_in: v.expires_in } : {}),
    ...(typeof v.scope === 'string' ? { scope: v.scope } : {}),
    ...(typeof v.subject === 'string' ? { subject: v.subject } : {}),
    ...(typeof v.patient === 'string' ? { patient: v.patient } : {}),
  };
}

function parseDraftOrders(v: unknown): Bundle {
  if (!isObject(v) || v.resourceType !== 'Bundle') fail('context.draftOrders must be a FHIR Bundle');
  if (v.entry !== undefined && !Array.isArray(v.entry)) fail('context.draftOrders.entry must be an array');
  const entries = (v.entry ?? []) as unknown[];
  entries.forEach((e, i) => {
    if (!isObject(e) || !isObject(e.resource) || typeof e.resource.resourceType !== 'string') {
      fail(`context.draftOrders.entry[${i}].resource must be a FHIR resource`);
    }
    if (e.resource.resourceType === 'MedicationRequest') {
      const mr = e.resource as unknown as MedicationRequest;
      if (mr.medicationCodeableConcept === undefined && mr.medicationReference === undefined) {
        fail(`context.draftOrders.entry[${i}]: a MedicationRequest needs medicationCodeableConcept or medicationReference`);
      }
      const at = `context.draftOrders.entry[${i}].resource`;
      const concept = mr.medicationCodeableConcept as unknown;
      if (concept !== undefined && !isObject(concept)) fail(`${at}.medicationCodeableConcept must be a CodeableConcept`);
      if (isObject(concept) && concept.coding !== undefined && !(Array.isArray(concept.coding) && concept.coding.every(isObject))) {
        fail(`${at}.medicationCodeableConcept.coding must be an array of Codings`);
      }
      if (mr.medicationReference !== undefined && !isObject(mr.medicationReference)) fail(`${at}.medicationReference must be a Reference`);
      const contained = (mr as { contained?: unknown }).contained;
      if (contained !== undefined && !(Array.isArray(contained) && contained.every((r) => isObject(r) && typeof r.resourceType === 'string'))) {
        fail(`${at}.contained must be an array of resources`);
      }
      if (mr.id !== undefined && typeof mr.id !== 'string') fail(`context.draftOrders.entry[${i}].resource.id must be a string`);
    }
  });
  return v as unknown as Bundle;
}

/** A prefetch value is null (not available), a FHIR resource, or a Bundle of resources. */
function checkPrefetchValue(key: string, value: unknown): void {
  if (value === null || value === undefined) return;
  const at = `prefetch.${key}`;
  if (!isObject(value) || typeof value.resourceType !== 'string') fail(`${at} must be a FHIR resource, a Bundle or null`);
  if (value.resourceType !== 'Bundle') return;
  if (value.entry === undefined) return;
  if (!Array.isArray(value.entry)) fail(`${at}.entry must be an array`);
  value.entry.forEach((e, i) => {
    if (!isObject(e)) fail(`${at}.entry[${i}] must be an object`);
    if (e.resource !== undefined && !(isObject(e.resource) && typeof e.resource.resourceType === 'string')) {
      fail(`${at}.entry[${i}].resource must be a FHIR resource`);
    }
  });
}

/** Validates an order-sign request for the given service; anything wrong is a 400 with the field named. */
export interface RequestLimits {
  maxDraftOrders: number;
  maxPrefetchResources: number;
}

export function parseOrderSignRequest(body: unknown, service: ServiceDefinition, limits?: RequestLimits): OrderSignRequest {
  if (!isObject(body)) fail('the request body must be a JSON object');
  if (body.hook !== service.hook) fail(`hook must be "${service.hook}" for service ${service.id}, got ${JSON.stringify(body.hook)}`);
  const hookInstance = nonEmptyString(body.hookInstance, 'hookInstance', 256);
  let fhirServer: string | undefined;
  if (body.fhirServer !== undefined && body.fhirServer !== null) {
    const raw = nonEmptyString(body.fhirServer, 'fhirServer', 2048);
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      fail('fhirServer must be an absolute URL');
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') fail('fhirServer must be an http or https URL');
    fhirServer = raw.replace(/\/+$/, '');
  }
  let fhirAuthorization: FhirAuthorization | undefined;
  if (body.fhirAuthorization !== undefined && body.fhirAuthorization !== null) {
    if (!fhirServer) fail('fhirAuthorization is only allowed together with fhirServer');
    fhirAuthorization = parseAuthorization(body.fhirAuthorization);
  }
  if (!isObject(body.context)) fail('context must be an object');
  const ctx = body.context;
  const userId = nonEmptyString(ctx.userId, 'context.userId');
  if (!/^(Practitioner|PractitionerRole|Patient|RelatedPerson)\/[A-Za-z0-9\-.]{1,64}$/.test(userId)) {
    fail('context.userId must be a reference such as "Practitioner/123"');
  }
  const patientId = nonEmptyString(ctx.patientId, 'context.patientId');
  if (!/^[A-Za-z0-9\-.]{1,64}$/.test(patientId)) fail('context.patientId must be a FHIR id (letters, digits, "-" and ".", up to 64)');
  let encounterId: string | undefined;
  if (ctx.encounterId !== undefined && ctx.encounterId !== null) encounterId = nonEmptyString(ctx.encounterId, 'context.encounterId');
  const draftOrders = parseDraftOrders(ctx.draftOrders);
  if (limits && (draftOrders.entry ?? []).length > limits.maxDraftOrders) {
    fail(`context.draftOrders holds more than ${limits.maxDraftOrders} entries (MAX_DRAFT_ORDERS)`);
  }
  if (body.prefetch !== undefined && body.prefetch !== null && !isObject(body.prefetch)) fail('prefetch must be an object');
  if (isObject(body.prefetch)) {
    let count = 0;
    for (const [key, value] of Object.entries(body.prefetch)) {
      checkPrefetchValue(key, value);
      count += isObject(value) && Array.isArray(value.entry) ? value.entry.length : 1;
    }
    if (limits && count > limits.maxPrefetchResources) fail(`prefetch holds more than ${limits.maxPrefetchResources} resources (MAX_PREFETCH_RESOURCES)`);
  }
  if (body.extension !== undefined && body.extension !== null && !isObject(body.extension)) fail('extension must be an object');
  return {
    hook: 'order-sign',
    hookInstance,
    ...(fhirServer ? { fhirServer } : {}),
    ...(fhirAuthorization ? { fhirAuthorization } : {}),
    context: { userId, patientId, ...(encounterId ? { encounterId } : {}), draftOrders },
    prefetch: (isObject(body.prefetch) ? body.prefetch : {}) as Record<string, unknown>,
    ...(isObject(body.extension) ? { extension: body.extension } : {}),
  };
}

/** Whether the request lets us return Da Vinci CRD coverage information (default yes). */
export function coverageInformationWanted(request: OrderSignRequest): boolean {
  const config = request.extension?.[CRD_CONFIGURATION];
  if (!isObject(config)) return true;
  return config.coverage !== false && config['coverage-info'] !== false;
}

/** The MedicationRequests among a draftOrders Bundle. */
export function draftMedicationRequests(draftOrders: Bundle | undefined): MedicationRequest[] {
  return (draftOrders?.entry ?? [])
    .map((e) => e.resource)
    .filter((r): r is MedicationRequest => r?.resourceType === 'MedicationRequest');
}
