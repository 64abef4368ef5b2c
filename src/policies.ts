import fs from 'node:fs';
import path from 'node:path';
import { Library, Repository } from './cql-engine';
import { ContentError } from './errors';
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
  triggers: { valueSet: string; names: string[] };
}

export interface Policy {
  definition: PolicyDefinition;
  file: string;
  /** Parsed ELM, built once at startup. */
  library: Library;
  /** Trigger codes as "system|code" keys (NDC normalised to 5-4-2), from the trigger value set. */
  triggerCodes: Set<string>;
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
  return raw as PolicyDefinition;
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
  const files = fs.readdirSync(cardsDir).filter((f) => f.endsWith('.json')).sort();
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
    const defs: string[] = (lib.json.library.statements?.def ?? []).map((d: { name: string }) => d.name);
    for (const name of CONTRACT) {
      if (!defs.includes(name)) throw new ContentError(file, `library "${definition.library.name}" does not define "${name}"`);
    }
    const trigger = byUrl.get(definition.triggers.valueSet);
    if (!trigger) throw new ContentError(file, `field "triggers.valueSet": no value set ${definition.triggers.valueSet}`);
    policies.push({
      definition,
      file,
      library: new Library(lib.json, repository),
      triggerCodes: triggerKeys(trigger.codes),
    });
  }
  const ids = new Set<string>();
  for (const p of policies) {
    if (ids.has(p.definition.id)) throw new ContentError(p.file, `duplicate policy id ${p.definition.id}`);
    ids.add(p.definition.id);
  }
  return policies;
}
