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

function loadPolicy(file: string, engine: Engine, prefetchKeys: string[]): Policy {
  const definition = validateDefinition(
    file,
    readJsonFile(file, (at, message) => new ContentError(at, message)),
  );
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
  };
}

/**
 * Loads and validates every policy in cardsDir against the engine's libraries and value sets
 * and the service's prefetch keys: the library and version exist, it defines the result
 * contract, the trigger value set exists. Anything wrong stops startup naming the file and field.
 */
export function loadPolicies(cardsDir: string, engine: Engine, prefetchKeys: string[]): Policy[] {
  const files = fs
    .readdirSync(cardsDir)
    .filter((f) => f.endsWith('.json') && f !== SERVICE_FILE)
    .sort();
  const policies = files.map((f) => loadPolicy(path.join(cardsDir, f), engine, prefetchKeys));
  const ids = new Set<string>();
  for (const p of policies) {
    if (ids.has(p.definition.id))
      throw new ContentError(p.file, `duplicate policy id ${p.definition.id}`);
    ids.add(p.definition.id);
  }
  return policies;
}
