import path from 'node:path';
import type { Questionnaire, QuestionnaireItem } from 'fhir/r4';
import type { Engine } from '../engine/engine';
import type { Program } from '../engine/evaluator';
import { ContentError } from '../platform/errors';
import { readJsonFile } from '../platform/json-file';
import type { Policy } from '../policy/load';

export const CQF_LIBRARY = 'http://hl7.org/fhir/StructureDefinition/cqf-library';
export const INITIAL_EXPRESSION =
  'http://hl7.org/fhir/uv/sdc/StructureDefinition/sdc-questionnaire-initialExpression';
export const TEMPLATE_EXTRACT =
  'http://hl7.org/fhir/uv/sdc/StructureDefinition/sdc-questionnaire-templateExtract';
export const TEMPLATE_EXTRACT_VALUE =
  'http://hl7.org/fhir/uv/sdc/StructureDefinition/sdc-questionnaire-templateExtractValue';
/** Where this service's own canonical resources live (Questionnaire, Library). */
export const CANONICAL_BASE = 'http://example.org/fhir/pa-cds';

/** The item types the forms use, and so the answers this service reads. */
const ITEM_TYPES = new Set(['group', 'choice', 'date', 'decimal', 'string', 'integer', 'display']);

/** A policy version's documentation form, loaded and checked once. */
export interface DocumentationForm {
  policy: Policy;
  /** The Questionnaire as served: its version is the policy version's. */
  questionnaire: Questionnaire;
  /** `url|version`, as CRD's coverage-information `questionnaire` names it. */
  canonical: string;
  /** The pre-population library (cqf-library), by name. */
  library: string;
  /** It, runnable with the policy's derived data (lines of therapy, text readings). */
  program: Program;
  /** Every item by linkId. */
  items: Map<string, QuestionnaireItem>;
  /** Pre-population: linkId → CQL definition of `library`. */
  initial: Map<string, string>;
  /** Extraction: group linkId → the contained template resource. */
  templates: Map<string, Record<string, unknown>>;
}

/** The name of a Library canonical ("…/Library/Name" → "Name"). */
function libraryName(canonical: string): string {
  return canonical.split('|')[0]!.split('/').pop() ?? '';
}

/**
 * `"Library".Definition` (DTR's form), `"Library"."Definition"` or `Library.Definition` → the
 * definition, when the library is `library`.
 */
function definitionOf(expression: string, library: string): string | undefined {
  const m =
    /^(?:"([A-Za-z][A-Za-z0-9_]*)"|([A-Za-z][A-Za-z0-9_]*))\.(?:"([^"]+)"|([A-Za-z][A-Za-z0-9_]*))$/.exec(
      expression,
    );
  if (!m || (m[1] ?? m[2]) !== library) return undefined;
  return m[3] ?? m[4];
}

function walk(items: QuestionnaireItem[] | undefined, visit: (i: QuestionnaireItem) => void) {
  for (const item of items ?? []) {
    visit(item);
    walk(item.item, visit);
  }
}

/** Every item checked: its type, its initialExpression and its templateExtract. */
function readItems(
  raw: Questionnaire,
  library: string,
  defined: Set<string>,
  fail: (message: string) => ContentError,
) {
  const contained = new Map(
    (raw.contained ?? []).map((r) => [r.id ?? '', r as unknown as Record<string, unknown>]),
  );
  const items = new Map<string, QuestionnaireItem>();
  const initial = new Map<string, string>();
  const templates = new Map<string, Record<string, unknown>>();
  walk(raw.item, (item) => {
    if (!item.linkId || items.has(item.linkId))
      throw fail(`item "${item.linkId}": every item needs its own linkId`);
    if (!ITEM_TYPES.has(item.type))
      throw fail(`item "${item.linkId}": type ${item.type} is not one this service reads`);
    if (item.type === 'choice' && !item.answerOption?.length)
      throw fail(`item "${item.linkId}": a choice needs answerOption`);
    items.set(item.linkId, item);
    for (const ext of item.extension ?? []) {
      if (ext.url === INITIAL_EXPRESSION) {
        const expr = ext.valueExpression;
        const name = expr?.expression ? definitionOf(expr.expression, library) : undefined;
        if (expr?.language !== 'text/cql-identifier' || !name || !defined.has(name))
          throw fail(
            `item "${item.linkId}": initialExpression must be text/cql-identifier naming a definition of ${library}`,
          );
        initial.set(item.linkId, name);
      }
      if (ext.url === TEMPLATE_EXTRACT) {
        const ref = ext.extension?.find((e) => e.url === 'template')?.valueReference?.reference;
        const template = ref?.startsWith('#') ? contained.get(ref.slice(1)) : undefined;
        if (item.type !== 'group' || !template)
          throw fail(
            `item "${item.linkId}": templateExtract must be on a group and name a contained template`,
          );
        templates.set(item.linkId, template);
      }
    }
  });
  return { items, initial, templates };
}

/**
 * Loads `cards/<file>` (the policy definition's `questionnaire`) for one policy version: checks
 * every item's type and linkId, that each initialExpression names a definition of the form's
 * pre-population library, and that each templateExtract names a contained template. Anything
 * wrong stops startup naming the file.
 */
export function loadDocumentationForm(
  cardsDir: string,
  policy: Policy,
  engine: Engine,
): DocumentationForm | undefined {
  const relative = policy.definition.questionnaire;
  if (!relative) return undefined;
  const file = path.resolve(cardsDir, relative);
  if (!file.startsWith(path.resolve(cardsDir) + path.sep))
    throw new ContentError(
      policy.file,
      'field "questionnaire" must be a file under the cards folder',
    );
  const raw = readJsonFile(file, (at, message) => new ContentError(at, message)) as Questionnaire;
  const fail = (message: string) => new ContentError(file, message);
  if (raw?.resourceType !== 'Questionnaire' || typeof raw.url !== 'string')
    throw fail('must be a FHIR Questionnaire with a url');
  const libraryCanonical = raw.extension?.find((e) => e.url === CQF_LIBRARY)?.valueCanonical;
  const library = libraryName(libraryCanonical ?? '');
  if (!library || !engine.elm(library))
    throw fail(`cqf-library must name a compiled library (got ${libraryCanonical ?? 'none'})`);
  const { items, initial, templates } = readItems(
    raw,
    library,
    new Set(engine.definitions(library).map((d) => d.name)),
    fail,
  );
  const questionnaire: Questionnaire = {
    ...raw,
    id: `${policy.definition.id}-${policy.version}`,
    version: policy.version,
    ...(raw.date ? {} : { date: policy.effectiveFrom }),
  };
  return {
    policy,
    questionnaire,
    canonical: `${raw.url}|${policy.version}`,
    library,
    program: engine.program(library, {
      ...(policy.definition.derived ? { derived: policy.definition.derived } : {}),
    }),
    items,
    initial,
    templates,
  };
}
