import { z } from 'zod';
import { ContentError } from '../platform/errors';
import { readJsonFile } from '../platform/json-file';
import { nonEmptyString, parseShape } from '../platform/shape';

/** A CDS service of cards/service.json; each covers every policy. */
export interface ServiceDefinition {
  id: string;
  hook: 'order-sign' | 'order-select' | 'order-dispatch';
  title: string;
  description: string;
  usageRequirements?: string;
  /** Query templates by key: prefetch keys a request may send, else queried on the FHIR server. */
  prefetch: Record<string, string>;
  /** The keys discovery asks clients to prefetch (default all): CRD 2.2 asks for the minimum. */
  advertise?: string[];
  /** The prefetch key that yields the patient's Coverage (for the CRD annotation). */
  coverageKey: string;
  /** The order-select sibling (same evaluation on the selected draft orders), when the file names one. */
  orderSelect?: { id: string; title: string; description: string };
  /** The order-dispatch sibling (the same evaluation on the dispatched orders), when the file names one. */
  orderDispatch?: { id: string; title: string; description: string };
}

const PREFETCH_TOKEN = /\{\{\s*([^}]+?)\s*\}\}/g;
const CONTEXT_TOKENS = ['context.patientId', 'context.userId', 'context.encounterId'];

/** A FHIR query whose {{tokens}} are order-sign context fields. */
const PREFETCH_QUERY = nonEmptyString('must be a FHIR query').superRefine((query, ctx) => {
  for (const [, token] of query.matchAll(PREFETCH_TOKEN)) {
    if (!CONTEXT_TOKENS.includes(token ?? ''))
      return ctx.addIssue(`: token {{${token}}} is not an order-sign context field`);
  }
});

/** A sibling service of the order-sign one (same content, another hook). */
const SIBLING = z.object(
  {
    id: nonEmptyString().regex(/^[A-Za-z0-9._-]+$/, {
      error: 'may hold letters, digits, ".", "_" and "-" only',
    }),
    title: nonEmptyString(),
    description: nonEmptyString(),
  },
  { error: 'must be an object with id, title and description' },
);

const SERVICE_DEFINITION = z
  .object(
    {
      id: nonEmptyString().regex(/^[A-Za-z0-9._-]+$/, {
        error: 'may hold letters, digits, ".", "_" and "-" only',
      }),
      title: nonEmptyString(),
      description: nonEmptyString(),
      hook: z.literal('order-sign', { error: 'must be "order-sign"' }),
      // Anything but text is left out, as it always was.
      usageRequirements: z.string().optional().catch(undefined),
      prefetch: z.record(z.string(), PREFETCH_QUERY, { error: 'must map keys to FHIR queries' }),
      coverageKey: z.string({ error: 'must name one of the prefetch keys' }),
      advertise: z.array(z.string(), { error: 'must list prefetch keys' }).optional(),
      orderSelect: SIBLING.optional(),
      orderDispatch: SIBLING.optional(),
    },
    { error: 'must be a JSON object' },
  )
  .refine((s) => Object.hasOwn(s.prefetch, s.coverageKey), {
    error: 'must name one of the prefetch keys',
    path: ['coverageKey'],
  })
  .refine((s) => (s.advertise ?? []).every((k) => Object.hasOwn(s.prefetch, k)), {
    error: 'must list keys of prefetch only',
    path: ['advertise'],
  });

/** Loads and checks the service definition; errors name the file and field. */
export function loadServiceDefinition(file: string): ServiceDefinition {
  const raw = readJsonFile(file, (at, message) => new ContentError(at, message));
  const {
    id,
    hook,
    title,
    description,
    usageRequirements,
    prefetch,
    coverageKey,
    advertise,
    orderSelect,
    orderDispatch,
  } = parseShape(
    SERVICE_DEFINITION,
    raw,
    (message) => new ContentError(file, message),
    (path) => `field "${path}"`,
  );
  return {
    id,
    hook,
    title,
    description,
    ...(usageRequirements !== undefined ? { usageRequirements } : {}),
    prefetch,
    coverageKey,
    ...(advertise ? { advertise } : {}),
    ...(orderSelect ? { orderSelect } : {}),
    ...(orderDispatch ? { orderDispatch } : {}),
  };
}

/** A sibling service the order-sign service names (order-select, order-dispatch), as a service of its own. */
function sibling(
  service: ServiceDefinition,
  key: 'orderSelect' | 'orderDispatch',
  hook: ServiceDefinition['hook'],
): ServiceDefinition | undefined {
  const s = service[key];
  if (!s) return undefined;
  const { orderSelect: _select, orderDispatch: _dispatch, ...rest } = service;
  return { ...rest, ...s, hook };
}

/** The order-select service the order-sign service names, as a service of its own. */
export function orderSelectService(service: ServiceDefinition): ServiceDefinition | undefined {
  return sibling(service, 'orderSelect', 'order-select');
}

/** The order-dispatch service the order-sign service names, as a service of its own. */
export function orderDispatchService(service: ServiceDefinition): ServiceDefinition | undefined {
  return sibling(service, 'orderDispatch', 'order-dispatch');
}

/** The definition with `{drugs}` in its description filled with the drugs the service covers. */
export function withCoveredDrugs(service: ServiceDefinition, drugs: string[]): ServiceDefinition {
  const covered = drugs.join(', ') || 'no drugs yet';
  const filled = <T extends { description: string }>(s: T): T => ({
    ...s,
    description: s.description.replace('{drugs}', covered),
  });
  return {
    ...service,
    description: service.description.replace('{drugs}', covered),
    ...(service.orderSelect ? { orderSelect: filled(service.orderSelect) } : {}),
    ...(service.orderDispatch ? { orderDispatch: filled(service.orderDispatch) } : {}),
  };
}
