import fs from 'node:fs';
import path from 'node:path';
import type { Engine } from '../engine/engine';
import type { Program } from '../engine/evaluator';
import { ContentError } from '../platform/errors';
import { readJsonFile } from '../platform/json-file';
import { triggerKeys } from './codes';
import {
  CONTRACT,
  validateDefinition,
  validateTemplates,
  type PolicyDefinition,
} from './definition';
import { compileFormula, FormulaError, type Formula } from './formula';
import { compileOrderReader, type OrderReader } from './order-reader';

export interface Policy {
  definition: PolicyDefinition;
  file: string;
  /** The compiled library and what it can read, built once at startup. */
  program: Program;
  /** The definitions an evaluation returns: the result contract and every card's `when`. */
  expressions: readonly string[];
  /** Trigger codes as "system|code" keys (NDC normalised to 5-4-2), from the trigger value set. */
  triggerCodes: Set<string>;
  /** The trigger drug names as whole-word, case-insensitive patterns. */
  triggerNames: RegExp[];
  /** The draft-order FHIRPath, compiled once. */
  orderReader: OrderReader;
  /** The formula read into its branches, once. */
  formula: Formula;
  /** The document's text (definition.document.source), read once; absent when not given. */
  documentText?: string;
  /** The file this version extends (a version file), or undefined (the policy's own file). */
  extends?: string;
  /** This version's name: document.version, else the last review date, else the publish date. */
  version: string;
  /** The first day (YYYY-MM-DD) this version is in force: document.effective, else the publish date. */
  effectiveFrom: string;
  /**
   * Every version of the policy on file (this one included), oldest first. A version is in force
   * from its effectiveFrom until the day before the next one's; the oldest also covers any
   * earlier date.
   */
  versions: Policy[];
}

/** The day an order is for: its authoredOn date when it has a full one, else `now`'s (UTC). */
export function orderDate(order: { authoredOn?: unknown }, now: Date): string {
  const a = order.authoredOn;
  if (typeof a === 'string' && /^\d{4}-\d{2}-\d{2}/.test(a)) return a.slice(0, 10);
  return now.toISOString().slice(0, 10);
}

/** The version of a policy in force on `date` (YYYY-MM-DD); before the oldest, the oldest. */
export function versionFor(policy: Policy, date: string): Policy {
  let chosen = policy.versions[0] ?? policy;
  for (const v of policy.versions) if (v.effectiveFrom <= date) chosen = v;
  return chosen;
}

/** The last day a version is in force (the day before the next version's), or undefined. */
export function effectiveUntil(policy: Policy): string | undefined {
  const next = policy.versions[policy.versions.indexOf(policy) + 1];
  if (!next) return undefined;
  const d = new Date(`${next.effectiveFrom}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() - 1);
  return d.toISOString().slice(0, 10);
}

function formulaOf(file: string, definition: PolicyDefinition): Formula {
  let formula: Formula;
  try {
    formula = compileFormula(definition.formula, definition.criteria);
  } catch (e) {
    if (e instanceof FormulaError) throw new ContentError(file, `field "formula" ${e.message}`);
    throw e;
  }
  const negated = formula.ids.filter((id) => formula.roles[id] === 'exclusion').sort();
  const declared = [...(definition.exclusions ?? [])].sort();
  if (negated.join() !== declared.join())
    throw new ContentError(
      file,
      `field "exclusions" must list the criteria the formula names under "not" (${negated.join(', ') || 'none'})`,
    );
  return formula;
}

function documentTextOf(file: string, definition: PolicyDefinition): string | undefined {
  const source = definition.document.source;
  if (!source) return undefined;
  const at = path.resolve(path.dirname(file), source);
  if (!at.startsWith(path.dirname(path.resolve(file)) + path.sep))
    throw new ContentError(file, 'field "document.source" must be a file under the cards folder');
  try {
    return fs.readFileSync(at, 'utf8');
  } catch {
    throw new ContentError(file, `field "document.source": cannot read ${source}`);
  }
}

/** The file in the cards folder that defines the service rather than a policy. */
export const SERVICE_FILE = 'service.json';

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * A definition file as JSON. A version file (`"extends": "<policy-id>.json"`) is the file it extends
 * with each top-level field it names replaced: a new version states only what changed.
 */
function readDefinition(file: string): { json: unknown; extends?: string } {
  const read = (at: string) => readJsonFile(at, (f, message) => new ContentError(f, message));
  const raw = read(file);
  if (!isObject(raw) || raw.extends === undefined) return { json: raw };
  const { extends: base, ...own } = raw;
  if ('id' in own)
    throw new ContentError(file, 'field "id": a version file takes the id of the file it extends');
  if (typeof base !== 'string' || !/^[A-Za-z0-9._@-]+\.json$/.test(base) || base === SERVICE_FILE)
    throw new ContentError(file, 'field "extends" must name a policy file in the same folder');
  const baseRaw = read(path.join(path.dirname(file), base));
  if (!isObject(baseRaw) || baseRaw.extends !== undefined)
    throw new ContentError(
      file,
      `field "extends": ${base} must be a policy definition that extends none`,
    );
  return { json: { ...baseRaw, ...own }, extends: base };
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;

/** The first day a version is in force: document.effective, else its publish date. */
function effectiveFromOf(file: string, definition: PolicyDefinition): string {
  const day = definition.document.effective ?? definition.document.published;
  if (!DAY.test(day) || Number.isNaN(Date.parse(day)))
    throw new ContentError(
      file,
      `field "${definition.document.effective ? 'effective' : 'published'}" must be a date (YYYY-MM-DD): the version is in force from it`,
    );
  return day;
}

function loadPolicy(file: string, engine: Engine, prefetchKeys: string[]): Policy {
  const read = readDefinition(file);
  const definition = validateDefinition(file, read.json);
  const effectiveFrom = effectiveFromOf(file, definition);
  const { name, version } = definition.library;
  const lib = engine.elm(name);
  if (!lib) throw new ContentError(file, `library "${name}" has no compiled ELM`);
  const actual = lib.json.library.identifier.version;
  if (actual !== version)
    throw new ContentError(file, `library "${name}" is version ${actual}, not ${version}`);
  const elmDefs = engine.definitions(name);
  for (const contract of CONTRACT) {
    if (!elmDefs.some((d) => d.name === contract))
      throw new ContentError(file, `library "${name}" does not define "${contract}"`);
  }
  const trigger = engine.valueSets.get(definition.triggers.valueSet);
  if (!trigger)
    throw new ContentError(
      file,
      `field "triggers.valueSet": no value set ${definition.triggers.valueSet}`,
    );
  for (const key of definition.prefetch) {
    if (!prefetchKeys.includes(key))
      throw new ContentError(file, `field "prefetch": key "${key}" is not in ${SERVICE_FILE}`);
  }
  const orderReader = compileOrderReader(file, definition.order);
  validateTemplates(file, definition, elmDefs);
  const formula = formulaOf(file, definition);
  const documentText = documentTextOf(file, definition);
  return {
    definition,
    file,
    program: engine.program(name, {
      medicationsOnlyThroughValueSets: definition.medicationsOnlyThroughValueSets === true,
      ...(definition.derived ? { derived: definition.derived } : {}),
    }),
    expressions: [
      ...new Set([
        ...CONTRACT,
        ...definition.cards.map((c) => c.when),
        ...(definition.offLabel ? [definition.offLabel] : []),
      ]),
    ],
    triggerCodes: triggerKeys(trigger.codes),
    triggerNames: definition.triggers.names.map(
      (n) => new RegExp(`\\b${n.replace(/[^a-z0-9]/gi, '')}\\b`, 'i'),
    ),
    orderReader,
    formula,
    ...(documentText !== undefined ? { documentText } : {}),
    version:
      definition.document.version ??
      definition.document.lastReviewed ??
      definition.document.published,
    effectiveFrom,
    versions: [],
    ...(read.extends ? { extends: read.extends } : {}),
  };
}

/**
 * Loads and validates every policy in cardsDir against the engine's libraries and value sets
 * and the service's prefetch keys: the library and version exist, it defines the result
 * contract, the trigger value set exists. Anything wrong stops startup naming the file and field.
 * Files with the same policy id are versions of it, each in force from its own date; the newest
 * stands for the policy (one entry per id, in file order), and carries every version.
 */
export function loadPolicies(cardsDir: string, engine: Engine, prefetchKeys: string[]): Policy[] {
  const files = fs
    .readdirSync(cardsDir)
    .filter((f) => f.endsWith('.json') && f !== SERVICE_FILE)
    .sort();
  const loaded = files.map((f) => loadPolicy(path.join(cardsDir, f), engine, prefetchKeys));
  const byId = new Map<string, Policy[]>();
  for (const p of loaded) byId.set(p.definition.id, [...(byId.get(p.definition.id) ?? []), p]);
  return [...byId.values()].map((all) => {
    const own = all.filter((p) => p.extends === undefined);
    if (own.length > 1)
      throw new ContentError(
        own[1]!.file,
        `duplicate policy id ${own[1]!.definition.id} (also in ${path.basename(own[0]!.file)}); a version of a policy "extends" its file`,
      );
    const versions = [...all].sort((a, b) => a.effectiveFrom.localeCompare(b.effectiveFrom));
    versions.forEach((v, i) => {
      const before = versions[i - 1];
      if (before?.effectiveFrom === v.effectiveFrom)
        throw new ContentError(
          v.file,
          `policy ${v.definition.id}: ${path.basename(before.file)} is in force from the same day (${v.effectiveFrom}); give each version its own effective date`,
        );
      if (versions.some((o) => o !== v && o.version === v.version))
        throw new ContentError(
          v.file,
          `policy ${v.definition.id}: two versions named ${v.version}`,
        );
      v.versions = versions;
    });
    return versions[versions.length - 1] as Policy;
  });
}
