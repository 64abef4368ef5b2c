import type { Indicator } from '../cds/types';
import type { ElmDefinition } from '../engine/elm';
import { ContentError } from '../platform/errors';
import type { OrderPaths } from './order-reader';

/** The policy definition in cards/<policy-id>.json. */
export interface PolicyDefinition {
  id: string;
  title: string;
  drug: string;
  document: { number: string; title: string; status?: string; published: string; lastReviewed?: string };
  library: { name: string; version: string };
  formula: string;
  criteria: string[];
  /** Criteria that are reasons NOT to approve : met means the exclusion applies. */
  exclusions?: string[];
  triggers: { valueSet: string; names: string[] };
  /** Keys of the service's prefetch templates this policy reads (see cards/service.json). */
  prefetch: string[];
  /** FHIRPath (R4) for what the policy reads from the draft order. */
  order: OrderPaths;
  /** Card templates; the first whose `when` (a Boolean CQL definition) is true is used. */
  cards: CardTemplate[];
  /** What to document next, per criterion id, shown when the criterion is not met or unknown. */
  nextSteps: Record<string, string>;
  /**
   * The library looks at medication records only through its value sets (it classifies drugs,
   * never counts records as such). Then a MedicationRequest, MedicationStatement or
   * MedicationAdministration whose inline drug codes are in none of them (and that references no
   * Medication) cannot change the result, and is left out before evaluation.
   */
  medicationsOnlyThroughValueSets?: boolean;
}

export interface CardTemplate {
  when: string;
  indicator: Indicator;
  /** Text with ${placeholders}; at most 140 characters once filled (longer is cut). */
  summary: string;
  /** Markdown with ${placeholders}. */
  detail: string;
}

/** Placeholders every card template may use, besides the policy's own order fields. */
export const BUILT_IN_PLACEHOLDERS = ['policy', 'document', 'drug', 'outcome', 'criteria', 'nextSteps'] as const;


/** The fixed result contract every policy library exposes. */
export const CONTRACT = ['Outcome', 'Approvable', 'Criteria'] as const;

function requireString(file: string, obj: Record<string, unknown>, field: string): string {
  const v = obj[field];
  if (typeof v !== 'string' || v.trim() === '') throw new ContentError(file, `field "${field}" must be a non-empty string`);
  return v;
}

export function validateDefinition(file: string, raw: unknown): PolicyDefinition {
  if (typeof raw !== 'object' || raw === null) throw new ContentError(file, 'must be a JSON object');
  const obj = raw as Record<string, unknown>;
  for (const f of ['id', 'title', 'drug', 'formula']) requireString(file, obj, f);
  const doc = obj.document as Record<string, unknown> | undefined;
  if (!doc || typeof doc !== 'object') throw new ContentError(file, 'field "document" is required');
  for (const f of ['number', 'title', 'published']) requireString(file, doc, `${f}`);
  const lib = obj.library as Record<string, unknown> | undefined;
  if (!lib || typeof lib !== 'object') throw new ContentError(file, 'field "library" is required');
  requireString(file, lib, 'name');
  requireString(file, lib, 'version');
  const criteria = obj.criteria;
  if (!Array.isArray(criteria) || criteria.length === 0 || !criteria.every((c) => typeof c === 'string')) {
    throw new ContentError(file, 'field "criteria" must list the criterion ids');
  }
  const triggers = obj.triggers as Record<string, unknown> | undefined;
  if (!triggers || typeof triggers.valueSet !== 'string' || !Array.isArray(triggers.names)) {
    throw new ContentError(file, 'field "triggers" needs "valueSet" and "names"');
  }
  if (obj.exclusions !== undefined && (!Array.isArray(obj.exclusions) || !obj.exclusions.every((x) => (criteria as string[]).includes(x)))) {
    throw new ContentError(file, 'field "exclusions" must list criterion ids');
  }
  if (obj.medicationsOnlyThroughValueSets !== undefined && typeof obj.medicationsOnlyThroughValueSets !== 'boolean') {
    throw new ContentError(file, 'field "medicationsOnlyThroughValueSets" must be true or false');
  }
  if (!Array.isArray(obj.prefetch) || !obj.prefetch.every((k) => typeof k === 'string')) {
    throw new ContentError(file, 'field "prefetch" must list prefetch keys of cards/service.json');
  }
  const steps = obj.nextSteps;
  if (!steps || typeof steps !== 'object' || Array.isArray(steps)) throw new ContentError(file, 'field "nextSteps" must map criterion ids to text');
  for (const [id, text] of Object.entries(steps)) {
    if (!(criteria as string[]).includes(id)) throw new ContentError(file, `field "nextSteps.${id}": no criterion ${id}`);
    if (typeof text !== 'string') throw new ContentError(file, `field "nextSteps.${id}" must be text`);
  }
  if (!Array.isArray(obj.cards) || obj.cards.length === 0) throw new ContentError(file, 'field "cards" must list card templates');
  obj.cards.forEach((c: unknown, i: number) => {
    const card = c as Record<string, unknown>;
    const where = `cards[${i}]`;
    if (!card || typeof card !== 'object') throw new ContentError(file, `field "${where}" must be an object`);
    for (const f of ['when', 'summary', 'detail']) {
      if (typeof card[f] !== 'string' || (card[f] as string).trim() === '') throw new ContentError(file, `field "${where}.${f}" must be a non-empty string`);
    }
    if (!['info', 'warning', 'critical'].includes(card.indicator as string)) {
      throw new ContentError(file, `field "${where}.indicator" must be info, warning or critical`);
    }
  });
  return raw as PolicyDefinition;
}

const PLACEHOLDER = /\$\{([^}]*)\}/g;

/** Every `when` names a Boolean definition of the library; every placeholder is known. */
export function validateTemplates(file: string, definition: PolicyDefinition, elmDefs: ElmDefinition[]): void {
  const allowed = new Set<string>([...BUILT_IN_PLACEHOLDERS, ...Object.keys(definition.order.fields)]);
  definition.cards.forEach((card, i) => {
    const def = elmDefs.find((d) => d.name === card.when);
    if (!def) throw new ContentError(file, `field "cards[${i}].when": library "${definition.library.name}" does not define "${card.when}"`);
    if (def.resultTypeName !== '{urn:hl7-org:elm-types:r1}Boolean') {
      throw new ContentError(file, `field "cards[${i}].when": "${card.when}" is not a Boolean definition`);
    }
    for (const f of ['summary', 'detail'] as const) {
      for (const [, name] of card[f].matchAll(PLACEHOLDER)) {
        if (!allowed.has(name ?? '')) {
          throw new ContentError(file, `field "cards[${i}].${f}": unknown placeholder \${${name}}; known: ${[...allowed].join(', ')}`);
        }
      }
    }
    if (card.summary.replace(PLACEHOLDER, '').length > 140) throw new ContentError(file, `field "cards[${i}].summary" is over 140 characters`);
  });
}

