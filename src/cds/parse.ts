import type { Bundle, MedicationRequest } from 'fhir/r4';
import { z } from 'zod';
import { BadRequestError, UnprocessableError } from '../platform/errors';
import { fieldsOf, nonEmptyString, parseShape, whole } from '../platform/shape';
import { CRD_VERSIONS, DEFAULT_MAX_CARDS } from './discovery';
import type { ServiceDefinition } from './service-definition';
import type { OrderSignRequest } from './types';

const CRD_CONFIGURATION = 'davinci-crd.configuration';

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A non-blank string of at most `max` characters. */
export const text = (max = 1024) =>
  nonEmptyString().max(max, { error: `is longer than ${max} characters` });

/**
 * A FHIR resource: an object with a string resourceType, else `message` on the value itself. A
 * resource of type `type` must also fit `schema` (its issues keep their own paths). Only this deep:
 * resources are not checked against FHIR.
 */
function resource(message: string, type?: string, schema?: z.ZodType) {
  const someResource = z.custom<Record<string, unknown>>(
    (v) => isObject(v) && typeof v.resourceType === 'string',
    { error: message, abort: true },
  );
  if (!type || !schema) return someResource;
  return someResource.superRefine((value, ctx) => {
    if (value.resourceType !== type) return;
    for (const issue of schema.safeParse(value).error?.issues ?? [])
      ctx.addIssue({ ...issue, continue: false });
  });
}

const FHIR_SERVER = text(2048)
  .refine((s) => URL.canParse(s), { error: 'must be an absolute URL', abort: true })
  .refine((s) => ['https:', 'http:'].includes(new URL(s).protocol), {
    error: 'must be an http or https URL',
  })
  .transform((s) => s.replace(/\/+$/, ''));

const FHIR_AUTHORIZATION = z.object(
  {
    access_token: text(16384),
    token_type: text().refine((s) => s.toLowerCase() === 'bearer', { error: 'must be "Bearer"' }),
    expires_in: z.number({ error: 'must be a number' }).optional(),
    scope: z.string({ error: 'must be a string' }).optional(),
    subject: z.string({ error: 'must be a string' }).optional(),
    patient: z.string({ error: 'must be a string' }).optional(),
  },
  { error: 'must be an object' },
);

const MEDICATION_REQUEST = z.looseObject({
  medicationCodeableConcept: z
    .looseObject(
      { coding: whole(z.array(z.looseObject({})), 'must be an array of Codings').optional() },
      { error: 'must be a CodeableConcept' },
    )
    .optional(),
  medicationReference: z.looseObject({}, { error: 'must be a Reference' }).optional(),
  contained: whole(
    z.array(z.looseObject({ resourceType: z.string() })),
    'must be an array of resources',
  ).optional(),
  id: z.string({ error: 'must be a string' }).optional(),
});

/** A draft order entry; one that is not an object lacks its resource. */
const DRAFT_ENTRY = fieldsOf(
  z
    .looseObject({
      resource: resource('must be a FHIR resource', 'MedicationRequest', MEDICATION_REQUEST),
    })
    .refine(
      ({ resource: r }) =>
        r.resourceType !== 'MedicationRequest' ||
        r.medicationCodeableConcept !== undefined ||
        r.medicationReference !== undefined,
      { error: ': a MedicationRequest needs medicationCodeableConcept or medicationReference' },
    ),
);

export const DRAFT_ORDERS = z
  .looseObject(
    { entry: z.array(DRAFT_ENTRY, { error: 'must be an array' }).optional() },
    { error: 'must be a FHIR Bundle' },
  )
  .refine((b) => b.resourceType === 'Bundle', { error: 'must be a FHIR Bundle' });

const CONTEXT = z.object(
  {
    userId: text().regex(
      /^(Practitioner|PractitionerRole|Patient|RelatedPerson)\/[A-Za-z0-9\-.]{1,64}$/,
      {
        error: 'must be a reference such as "Practitioner/123"',
      },
    ),
    patientId: text().regex(/^[A-Za-z0-9\-.]{1,64}$/, {
      error: 'must be a FHIR id (letters, digits, "-" and ".", up to 64)',
    }),
    encounterId: text().nullish(),
    draftOrders: DRAFT_ORDERS,
  },
  { error: 'must be an object' },
);

/** order-select (CDS Hooks): the context adds the selected draft orders' references. */
const SELECT_CONTEXT = CONTEXT.extend({
  selections: z
    .array(text(200), { error: 'must be an array of references such as "MedicationRequest/123"' })
    .min(1, { error: 'must name at least one selected draft order' }),
});

const PREFETCH_ENTRY = z.looseObject(
  { resource: resource('must be a FHIR resource').optional() },
  { error: 'must be an object' },
);

/** Compiled (z.compile): prefetch Bundles may hold thousands of entries. */
const PREFETCH_BUNDLE = z.compile(
  z.looseObject({ entry: z.array(PREFETCH_ENTRY, { error: 'must be an array' }).optional() }),
);

/** A prefetch value is null (not available), a FHIR resource, or a Bundle of resources. */
const PREFETCH = z.record(
  z.string(),
  resource('must be a FHIR resource, a Bundle or null', 'Bundle', PREFETCH_BUNDLE).nullish(),
  { error: 'must be an object' },
);

/** A CDS Hooks request of a service around its hook's `context` schema (hook and id in messages). */
export function hookRequest<C extends z.ZodType>(service: ServiceDefinition, context: C) {
  return z
    .object(
      {
        hook: z.literal(service.hook, {
          error: (iss) =>
            `must be "${service.hook}" for service ${service.id}, got ${JSON.stringify(iss.input)}`,
        }),
        hookInstance: text(256),
        fhirServer: FHIR_SERVER.nullish(),
        fhirAuthorization: FHIR_AUTHORIZATION.nullish(),
        context,
        prefetch: PREFETCH.nullish(),
        extension: z.looseObject({}, { error: 'must be an object' }).nullish(),
      },
      { error: 'the request body must be a JSON object' },
    )
    .refine((b) => b.fhirAuthorization == null || b.fhirServer, {
      error: 'is only allowed together with fhirServer',
      path: ['fhirAuthorization'],
    });
}

/** The request schema of a service (its hook and id are in a message); built once per service. */
function requestSchema(service: ServiceDefinition) {
  return hookRequest(service, service.hook === 'order-select' ? SELECT_CONTEXT : CONTEXT);
}

type RequestSchema = ReturnType<typeof requestSchema>;
const schemas = new WeakMap<ServiceDefinition, RequestSchema>();

function schemaFor(service: ServiceDefinition): RequestSchema {
  let schema = schemas.get(service);
  // Compiled: the fast path for valid requests; an invalid one gets the very same issues.
  if (!schema) schemas.set(service, (schema = z.compile(requestSchema(service))));
  return schema;
}

export function badRequest(message: string): Error {
  return new BadRequestError(message);
}

export interface RequestLimits {
  maxDraftOrders: number;
  maxPrefetchResources: number;
}

/** Whether a reference is to Patient/<patientId>: relative, or a URL ending so (a version allowed). */
function refersToPatient(reference: string, patientId: string): boolean {
  const m = /(?:^|\/)Patient\/([^/]+)(?:\/_history\/[^/]+)?$/.exec(reference);
  return m?.[1] === patientId;
}

/**
 * Every draft order is the context patient's: one whose subject references anyone else is a 400
 * naming it (position, and id when it has one), and it is never evaluated. An order without a
 * subject, or whose subject has no reference, is taken to be the context patient's.
 */
export function checkDraftSubjects(draftOrders: Bundle, patientId: string): void {
  (draftOrders.entry ?? []).forEach((e, i) => {
    const order = e.resource as (Record<string, unknown> & { resourceType: string }) | undefined;
    const subject = order?.subject;
    if (!order || subject === undefined || subject === null) return;
    const ref = isObject(subject) ? subject.reference : subject;
    if (ref === undefined || (typeof ref === 'string' && refersToPatient(ref, patientId))) return;
    const id = typeof order.id === 'string' && order.id !== '' ? order.id : undefined;
    const name = id ? `${order.resourceType}/${id}` : `a ${order.resourceType} without id`;
    const about = typeof ref === 'string' ? `"${ref.slice(0, 200)}"` : 'not a reference';
    throw badRequest(
      `context.draftOrders.entry[${i}] (${name}): its subject is ${about}, not Patient/${patientId} (context.patientId); the order is not evaluated`,
    );
  });
}

/** The request limits: at most MAX_DRAFT_ORDERS orders (named by `field`), MAX_PREFETCH_RESOURCES resources. */
export function checkLimits(
  limits: RequestLimits | undefined,
  field: string,
  orders: number,
  prefetch: Record<string, unknown> | null | undefined,
): void {
  if (!limits) return;
  if (orders > limits.maxDraftOrders)
    throw badRequest(
      `${field} holds more than ${limits.maxDraftOrders} entries (MAX_DRAFT_ORDERS)`,
    );
  const count = Object.values(prefetch ?? {}).reduce((n: number, v) => {
    const entry = (v as { entry?: unknown } | null)?.entry;
    return n + (Array.isArray(entry) ? entry.length : 1);
  }, 0);
  if (count > limits.maxPrefetchResources)
    throw badRequest(
      `prefetch holds more than ${limits.maxPrefetchResources} resources (MAX_PREFETCH_RESOURCES)`,
    );
}

/** Validates an order-sign request for the given service; anything wrong is a 400 with the field named. */
export function parseOrderSignRequest(
  body: unknown,
  service: ServiceDefinition,
  limits?: RequestLimits,
): OrderSignRequest {
  const { hookInstance, fhirServer, fhirAuthorization, context, prefetch, extension } = parseShape(
    schemaFor(service),
    body,
    badRequest,
  );
  checkLimits(limits, 'context.draftOrders', (context.draftOrders.entry ?? []).length, prefetch);
  checkRequestedVersion(extension);
  const { userId, patientId, encounterId, draftOrders } = context;
  checkDraftSubjects(draftOrders as unknown as Bundle, patientId);
  const selections = 'selections' in context ? (context.selections as string[]) : undefined;
  if (selections) checkSelections(selections, draftOrders as unknown as Bundle);
  return {
    hook: service.hook,
    ...(selections ? { selections } : {}),
    hookInstance,
    ...(fhirServer ? { fhirServer } : {}),
    ...(fhirAuthorization ? { fhirAuthorization } : {}),
    context: {
      userId,
      patientId,
      ...(encounterId ? { encounterId } : {}),
      draftOrders: draftOrders as unknown as Bundle,
    },
    prefetch: prefetch ?? {},
    ...(extension ? { extension } : {}),
  };
}

/** Every selection names a draft order of the request ("MedicationRequest/<id>"); else a 400 naming it. */
function checkSelections(selections: string[], draftOrders: Bundle): void {
  const drafts = new Set(
    (draftOrders.entry ?? []).flatMap((e) =>
      e.resource?.id ? [`${e.resource.resourceType}/${e.resource.id}`] : [],
    ),
  );
  selections.forEach((s, i) => {
    if (!drafts.has(s))
      throw badRequest(
        `context.selections[${i}] ("${s.slice(0, 200)}") names no draft order of context.draftOrders`,
      );
  });
}

/**
 * davinci-crd.requestedVersion (CRD: major.minor): absent, or one this service declares in
 * discovery; another version is a 422 that names the ones it speaks, a value that is not a
 * version a 400.
 */
export function checkRequestedVersion(extension: Record<string, unknown> | null | undefined): void {
  const v = extension?.['davinci-crd.requestedVersion'];
  if (v === undefined) return;
  if (typeof v !== 'string' || !/^\d+\.\d+$/.test(v))
    throw badRequest(
      'extension["davinci-crd.requestedVersion"] must be a CRD version such as "2.0"',
    );
  if (!CRD_VERSIONS.includes(v))
    throw new UnprocessableError(
      `CRD version ${v} is not supported here; this service speaks ${CRD_VERSIONS.join(', ')} (see davinci-crd.version in discovery)`,
    );
}

/** The CRD shape a request gets: the version it asks for (checked at parse), else 2.0 (CRD 2.0.1). */
export function crdShape(request: Pick<OrderSignRequest, 'extension'>): '2.0' | '2.2' {
  return request.extension?.['davinci-crd.requestedVersion'] === '2.2' ? '2.2' : '2.0';
}

/** What a request's davinci-crd.configuration asks of the response (Da Vinci CRD). */
export interface CrdConfiguration {
  /** Cards of the CRD type coverage-info (every card this service returns) and its system action. */
  coverageInfo: boolean;
  /** The coverage-information system action alone (the older, unadvertised `coverage` option). */
  annotate: boolean;
  /** At most this many cards (the most severe first); the advertised default when not sent. */
  maxCards: number;
  /** Options sent with a value of the wrong type, left out (the service still answers). */
  ignored: string[];
}

/**
 * The request's CRD configuration. Every option is optional (CRD: never required); an unknown one
 * is ignored; a known one of the wrong type or range is ignored and named in `ignored`, so the
 * answer never fails on a nonsensical combination.
 */
export function crdConfiguration(request: OrderSignRequest): CrdConfiguration {
  const out: CrdConfiguration = {
    coverageInfo: true,
    annotate: true,
    maxCards: DEFAULT_MAX_CARDS,
    ignored: [],
  };
  const config = request.extension?.[CRD_CONFIGURATION];
  if (!isObject(config)) return out;
  const flag = (code: string): boolean | undefined => {
    const v = config[code];
    if (v === undefined || typeof v === 'boolean') return v;
    out.ignored.push(code);
    return undefined;
  };
  if (flag('coverage-info') === false) out.coverageInfo = false;
  if (flag('coverage') === false) out.annotate = false;
  const max = config['max-cards'];
  if (Number.isInteger(max) && (max as number) >= 0) out.maxCards = max as number;
  else if (max !== undefined) out.ignored.push('max-cards');
  return out;
}

/** The MedicationRequests among a draftOrders Bundle. */
export function draftMedicationRequests(draftOrders: Bundle | undefined): MedicationRequest[] {
  return (draftOrders?.entry ?? [])
    .map((e) => e.resource)
    .filter((r): r is MedicationRequest => r?.resourceType === 'MedicationRequest');
}
