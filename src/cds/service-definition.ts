import { ContentError } from '../platform/errors';
import { readJsonFile } from '../platform/json-file';

/** The one order-sign service, from cards/service.json; it covers every policy. */
export interface ServiceDefinition {
  id: string;
  hook: 'order-sign';
  title: string;
  description: string;
  usageRequirements?: string;
  /** Prefetch templates by key, as advertised in discovery. */
  prefetch: Record<string, string>;
  /** The prefetch key that yields the patient's Coverage (for the CRD annotation). */
  coverageKey: string;
}

const PREFETCH_TOKEN = /\{\{\s*([^}]+?)\s*\}\}/g;

/** Loads and checks the service definition; errors name the file and field. */
export function loadServiceDefinition(file: string): ServiceDefinition {
  const raw = readJsonFile(file, (at, message) => new ContentError(at, message)) as Record<string, unknown>;
  if (typeof raw !== 'object' || raw === null) throw new ContentError(file, 'must be a JSON object');
  for (const f of ['id', 'title', 'description']) {
    if (typeof raw[f] !== 'string' || (raw[f] as string).trim() === '') throw new ContentError(file, `field "${f}" must be a non-empty string`);
  }
  if (!/^[A-Za-z0-9._-]+$/.test(raw.id as string)) throw new ContentError(file, 'field "id" may hold letters, digits, ".", "_" and "-" only');
  if (raw.hook !== 'order-sign') throw new ContentError(file, 'field "hook" must be "order-sign"');
  const prefetch = raw.prefetch as Record<string, unknown> | undefined;
  if (!prefetch || typeof prefetch !== 'object') throw new ContentError(file, 'field "prefetch" must map keys to FHIR queries');
  for (const [key, query] of Object.entries(prefetch)) {
    if (typeof query !== 'string' || query.trim() === '') throw new ContentError(file, `field "prefetch.${key}" must be a FHIR query`);
    for (const [, token] of query.matchAll(PREFETCH_TOKEN)) {
      if (token !== 'context.patientId' && token !== 'context.userId' && token !== 'context.encounterId') {
        throw new ContentError(file, `field "prefetch.${key}": token {{${token}}} is not an order-sign context field`);
      }
    }
  }
  const coverageKey = raw.coverageKey;
  if (typeof coverageKey !== 'string' || !(coverageKey in prefetch)) {
    throw new ContentError(file, 'field "coverageKey" must name one of the prefetch keys');
  }
  return {
    id: raw.id as string,
    hook: 'order-sign',
    title: raw.title as string,
    description: raw.description as string,
    ...(typeof raw.usageRequirements === 'string' ? { usageRequirements: raw.usageRequirements } : {}),
    prefetch: prefetch as Record<string, string>,
    coverageKey,
  };
}

/** The definition with `{drugs}` in its description filled with the drugs the service covers. */
export function withCoveredDrugs(service: ServiceDefinition, drugs: string[]): ServiceDefinition {
  return { ...service, description: service.description.replace('{drugs}', drugs.join(', ') || 'no drugs yet') };
}
