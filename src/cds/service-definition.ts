import { z } from 'zod';
import { ContentError } from '../platform/errors';
import { readJsonFile } from '../platform/json-file';
import { nonEmptyString, parseShape } from '../platform/shape';

/** A CDS service of cards/service.json; each covers every policy. */
export interface ServiceDefinition {
  id: string;
  hook: 'order-sign' | 'order-select';
  title: string;
  description: string;
  usageRequirements?: string;
  /** Prefetch templates by key, as advertised in discovery. */
  prefetch: Record<string, string>;
  /** The prefetch key that yields the patient's Coverage (for the CRD annotation). */
  coverageKey: string;
  /** The order-select sibling (same evaluation on the selected draft orders), when the file names one. */
  orderSelect?: { id: string; title: string; description: string };
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
      orderSelect: z
        .object(
          {
            id: nonEmptyString().regex(/^[A-Za-z0-9._-]+$/, {
              error: 'may hold letters, digits, ".", "_" and "-" only',
            }),
            title: nonEmptyString(),
            description: nonEmptyString(),
          },
          { error: 'must be an object with id, title and description' },
        )
        .optional(),
    },
    { error: 'must be a JSON object' },
  )
  .refine((s) => Object.hasOwn(s.prefetch, s.coverageKey), {
    error: 'must name one of the prefetch keys',
    path: ['coverageKey'],
  });

/** Loads and checks the service definition; errors name the file and field. */
export function loadServiceDefinition(file: string): ServiceDefinition {
  const raw = readJsonFile(file, (at, message) => new ContentError(at, message));
  const { id, hook, title, description, usageRequirements, prefetch, coverageKey, orderSelect } =
    parseShape(
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
    ...(orderSelect ? { orderSelect } : {}),
  };
}

/** The order-select service the order-sign service names, as a service of its own. */
export function orderSelectService(service: ServiceDefinition): ServiceDefinition | undefined {
  const s = service.orderSelect;
  if (!s) return undefined;
  const { orderSelect: _own, ...rest } = service;
  return { ...rest, ...s, hook: 'order-select', description: s.description };
}

/** The definition with `{drugs}` in its description filled with the drugs the service covers. */
export function withCoveredDrugs(service: ServiceDefinition, drugs: string[]): ServiceDefinition {
  return {
    ...service,
    description: service.description.replace('{drugs}', drugs.join(', ') || 'no drugs yet'),
    ...(service.orderSelect
      ? {
          orderSelect: {
            ...service.orderSelect,
            description: service.orderSelect.description.replace(
              '{drugs}',
              drugs.join(', ') || 'no drugs yet',
            ),
          },
        }
      : {}),
  };
}
