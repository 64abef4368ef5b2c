import fs from 'node:fs';
import { ContentError } from './errors';
import type { Policy } from './policies';

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

/** Loads and checks the service definition against the policies; errors name the file and field. */
export function loadServiceDefinition(file: string, policies: Policy[]): ServiceDefinition {
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new ContentError(file, `not readable JSON (${(e as Error).message})`);
  }
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
  for (const p of policies) {
    for (const key of p.definition.prefetch) {
      if (!(key in prefetch)) throw new ContentError(p.file, `field "prefetch": key "${key}" is not in ${file}`);
    }
  }
  const drugs = policies.map((p) => `${p.definition.drug} (${p.definition.document.number})`).join(', ');
  return {
    id: raw.id as string,
    hook: 'order-sign',
    title: raw.title as string,
    description: (raw.description as string).replace('{drugs}', drugs || 'no drugs yet'),
    ...(typeof raw.usageRequirements === 'string' ? { usageRequirements: raw.usageRequirements } : {}),
    prefetch: prefetch as Record<string, string>,
    coverageKey,
  };
}
