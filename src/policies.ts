import fs from 'node:fs';
import path from 'node:path';
import { Library, Repository } from './cql-engine';
import { ContentError } from './errors';
import { compileOrderReader, type OrderPaths, type OrderReader } from './order-reader';
import { triggerKeys } from './select-policies';
import type { ValueSetEntry } from './terminology';

/** The policy definition in cards/<policy-id>.json. */
export interface PolicyDefinition {
  id: string;
  title: string;
  drug: string;
  document: { number: string; title: string; status?: string; published: string; lastReviewed?: string };
  library: { name: string; version: string };
  formula: string;
  criteria: string[];
  /** Criteria that are reasons NOT to approve (e.g. CC-0126 "X.I"): met means the exclusion applies. */
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

export type Indicator = 'info' | 'warning' | 'critical';

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

/** The file in the cards folder that defines the service rather than a policy. */
export const SERVICE_FILE = 'service.json';

export interface Policy {
  definition: PolicyDefinition;
  file: string;
  /** Parsed ELM, built once at startup. */
  library: Library;
  /** Trigger codes as "system|code" keys (NDC normalised to 5-4-2), from the trigger value set. */
  triggerCodes: Set<string>;
  /** The trigger drug names as whole-word, case-insensitive patterns. */
  triggerNames: RegExp[];
  /** The draft-order FHIRPath, compiled once. */
  orderReader: OrderReader;
  /**
   * What the library can retrieve, from its ELM and its includes: resource type → the codes its
   * retrieves filter on ("system|code"), or null when some retrieve of that type takes every
   * resource. Types it never retrieves are absent. Used to hand the engine only what it can read.
   */
  retrievable: Map<string, Set<string> | null>;
  /** With medicationsOnlyThroughValueSets: every "system|code" of the library's value sets. */
  medicationCodes?: Set<string>;
}

type ElmLibrary = { file: string; json: any };

/** A library and every library it includes, transitively, each once. */
function withIncludes(root: ElmLibrary, elm: Map<string, ElmLibrary>): ElmLibrary[] {
  const out: ElmLibrary[] = [];
  const visit = (lib: ElmLibrary) => {
    if (out.includes(lib)) return;
    out.push(lib);
    for (const inc of lib.json.library.includes?.def ?? []) {
      const l = elm.get(inc.path);
      if (l) visit(l);
    }
  };
  visit(root);
  return out;
}

/** Resource type → codes (or null = all) over every Retrieve of a library and what it includes. */
function retrievableOf(root: ElmLibrary, elm: Map<string, ElmLibrary>, valueSets: Map<string, ValueSetEntry>): Map<string, Set<string> | null> {
  const out = new Map<string, Set<string> | null>();
  for (const lib of withIncludes(root, elm)) {
    const includes = new Map<string, string>((lib.json.library.includes?.def ?? []).map((d: any) => [d.localIdentifier, d.path]));
    const libraryOf = (alias?: string): ElmLibrary | undefined => (alias ? elm.get(includes.get(alias) ?? '') : lib);
    const codesOf = (expr: any): Set<string> | null => {
      if (!expr) return null;
      if (expr.type === 'ValueSetRef') {
        const owner = libraryOf(expr.libraryName);
        const def = owner?.json.library.valueSets?.def?.find((d: any) => d.name === expr.name);
        const vs = def ? valueSets.get(def.id) : undefined;
        return vs ? new Set(vs.codes.map((c) => `${c.system}|${c.code}`)) : null;
      }
      if (expr.type === 'CodeRef') {
        const owner = libraryOf(expr.libraryName);
        const def = owner?.json.library.codes?.def?.find((d: any) => d.name === expr.name);
        const cs = def ? owner?.json.library.codeSystems?.def?.find((d: any) => d.name === def.codeSystem?.name) : undefined;
        return def && cs ? new Set([`${cs.id}|${def.id}`]) : null;
      }
      if (expr.type === 'ToList') return codesOf(expr.operand);
      if (expr.type === 'List' && Array.isArray(expr.element)) {
        const all = new Set<string>();
        for (const e of expr.element) {
          const c = codesOf(e);
          if (!c) return null;
          c.forEach((x) => all.add(x));
        }
        return all;
      }
      return null;
    };
    const walk = (n: any) => {
      if (Array.isArray(n)) n.forEach(walk);
      else if (n && typeof n === 'object') {
        if (n.type === 'Retrieve' && typeof n.dataType === 'string') {
          const type = n.dataType.replace(/^\{[^}]*\}/, '');
          const codes = (n.codeProperty ?? 'code') === 'code' ? codesOf(n.codes) : null;
          const known = out.get(type);
          if (!out.has(type)) out.set(type, codes);
          else if (known === null || codes === null) out.set(type, null);
          else codes.forEach((c) => known?.add(c));
        }
        for (const v of Object.values(n)) if (v && typeof v === 'object') walk(v);
      }
    };
    walk(lib.json.library.statements);
  }
  return out;
}

/** Every code of every value set the library and its includes reference. */
function valueSetCodesOf(root: ElmLibrary, elm: Map<string, ElmLibrary>, valueSets: Map<string, ValueSetEntry>): Set<string> {
  const out = new Set<string>();
  for (const lib of withIncludes(root, elm)) {
    for (const def of lib.json.library.valueSets?.def ?? []) for (const c of valueSets.get(def.id)?.codes ?? []) out.add(`${c.system}|${c.code}`);
  }
  return out;
}

/** The fixed result contract every policy library exposes. */
export const CONTRACT = ['Outcome', 'Approvable', 'Criteria'] as const;

function readJson(file: string): unknown {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new ContentError(file, `not valid JSON (${(e as Error).message})`);
  }
}

function requireString(file: string, obj: Record<string, unknown>, field: string): string {
  const v = obj[field];
  if (typeof v !== 'string' || v.trim() === '') throw new ContentError(file, `field "${field}" must be a non-empty string`);
  return v;
}

function validateDefinition(file: string, raw: unknown): PolicyDefinition {
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
function validateTemplates(file: string, definition: PolicyDefinition, elmDefs: { name: string; resultTypeName?: string }[]): void {
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

/** ELM of every library in a folder, keyed by library name. */
function loadElm(elmDir: string): Map<string, { file: string; json: any }> {
  const out = new Map<string, { file: string; json: any }>();
  for (const f of fs.readdirSync(elmDir).filter((x) => x.endsWith('.json'))) {
    const file = path.join(elmDir, f);
    const json = readJson(file) as any;
    const id = json?.library?.identifier?.id;
    if (typeof id !== 'string') throw new ContentError(file, 'not an ELM library');
    out.set(id, { file, json });
  }
  return out;
}

/**
 * Loads and validates every policy in cardsDir against the ELM in elmDir and the value sets:
 * the library and version exist, it defines the result contract, and the trigger value set
 * exists. Anything wrong stops startup with a message naming the file and field.
 */
export function loadPolicies(cardsDir: string, elmDir: string, valueSets: ValueSetEntry[]): Policy[] {
  const elm = loadElm(elmDir);
  const repository = new Repository(Object.fromEntries([...elm].map(([name, v]) => [name, v.json])));
  const byUrl = new Map(valueSets.map((v) => [v.url, v]));
  for (const lib of elm.values()) {
    for (const ref of lib.json.library.valueSets?.def ?? []) {
      if (!byUrl.has(ref.id)) throw new ContentError(lib.file, `value set ${ref.id} ("${ref.name}") is not in cql/valuesets`);
    }
  }
  const files = fs.readdirSync(cardsDir).filter((f) => f.endsWith('.json') && f !== SERVICE_FILE).sort();
  const policies: Policy[] = [];
  for (const f of files) {
    const file = path.join(cardsDir, f);
    const definition = validateDefinition(file, readJson(file));
    const lib = elm.get(definition.library.name);
    if (!lib) throw new ContentError(file, `library "${definition.library.name}" has no ELM in ${elmDir}`);
    const version = lib.json.library.identifier.version;
    if (version !== definition.library.version) {
      throw new ContentError(file, `library "${definition.library.name}" is version ${version}, not ${definition.library.version}`);
    }
    const elmDefs: { name: string; resultTypeName?: string }[] = lib.json.library.statements?.def ?? [];
    const defs = elmDefs.map((d) => d.name);
    for (const name of CONTRACT) {
      if (!defs.includes(name)) throw new ContentError(file, `library "${definition.library.name}" does not define "${name}"`);
    }
    const trigger = byUrl.get(definition.triggers.valueSet);
    if (!trigger) throw new ContentError(file, `field "triggers.valueSet": no value set ${definition.triggers.valueSet}`);
    const orderReader = compileOrderReader(file, definition.order);
    validateTemplates(file, definition, elmDefs);
    policies.push({
      definition,
      file,
      library: new Library(lib.json, repository),
      triggerCodes: triggerKeys(trigger.codes),
      triggerNames: definition.triggers.names.map((n) => new RegExp(`\\b${n.replace(/[^a-z0-9]/gi, '')}\\b`, 'i')),
      orderReader,
      retrievable: retrievableOf(lib, elm, byUrl),
      ...(definition.medicationsOnlyThroughValueSets === true ? { medicationCodes: valueSetCodesOf(lib, elm, byUrl) } : {}),
    });
  }
  const ids = new Set<string>();
  for (const p of policies) {
    if (ids.has(p.definition.id)) throw new ContentError(p.file, `duplicate policy id ${p.definition.id}`);
    ids.add(p.definition.id);
  }
  return policies;
}
