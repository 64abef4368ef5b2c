import fs from 'node:fs';
import path from 'node:path';
import type { Extension, Library, Questionnaire, QuestionnaireItem, ValueSet } from 'fhir/r4';
import type { Engine } from '../engine/engine';
import { ContentError } from '../platform/errors';
import type { ContentPaths } from '../platform/paths';
import type { Policy } from '../policy/load';
import type { FormIndex } from './answers';
import {
  CANONICAL_BASE,
  INITIAL_EXPRESSION,
  loadDocumentationForm,
  type DocumentationForm,
} from './questionnaire';

const ALTERNATIVE_EXPRESSION =
  'http://hl7.org/fhir/us/davinci-dtr/StructureDefinition/alternativeExpression';

/** Everything DTR serves, built once at startup: the forms, their Libraries and ValueSets. */
export interface DtrCatalog {
  /** Every policy version's form. */
  forms: DocumentationForm[];
  /** Forms by `url|version`, and by `url` for the newest version. */
  index: FormIndex;
  /** The form of a policy version, if it has one. */
  formOf(policy: Policy): DocumentationForm | undefined;
  /** Library resources by `url|version` (CQL and ELM, base64). */
  libraries: Map<string, Library>;
  /** ValueSet resources by url (expanded). */
  valueSets: Map<string, ValueSet>;
  /** The Libraries a form needs: its cqf-library and what that depends on, in order. */
  librariesOf(form: DocumentationForm): Library[];
  /** The ValueSets those Libraries use. */
  valueSetsOf(form: DocumentationForm): ValueSet[];
}

const base64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');

/** A Library resource for a compiled library: its CQL and ELM, and what it depends on. */
function libraryResource(engine: Engine, name: string, cqlDir: string): Library {
  const elm = engine.elm(name);
  if (!elm) throw new ContentError(name, 'no compiled ELM');
  const id = elm.json.library.identifier as { id: string; version: string };
  const cqlFile = path.join(cqlDir, `${name}.cql`);
  let cql: string;
  try {
    cql = fs.readFileSync(cqlFile, 'utf8');
  } catch {
    throw new ContentError(cqlFile, `the CQL of library ${name} is not beside its ELM`);
  }
  const includes = (
    (elm.json.library.includes?.def ?? []) as { path: string; version: string }[]
  ).map((i) => `${CANONICAL_BASE}/Library/${i.path}|${i.version}`);
  return {
    resourceType: 'Library',
    id: name,
    url: `${CANONICAL_BASE}/Library/${name}`,
    version: id.version,
    name,
    status: 'active',
    type: {
      coding: [
        { system: 'http://terminology.hl7.org/CodeSystem/library-type', code: 'logic-library' },
      ],
    },
    ...(includes.length > 0
      ? { relatedArtifact: includes.map((resource) => ({ type: 'depends-on' as const, resource })) }
      : {}),
    content: [
      { contentType: 'text/cql', data: base64(cql) },
      { contentType: 'application/elm+json', data: base64(JSON.stringify(elm.json)) },
    ],
  };
}

/** DTR 2.2 (spec-96): every CQL expression carries the ELM of the definition it names. */
function withElm(
  items: QuestionnaireItem[] | undefined,
  engine: Engine,
  library: string,
): QuestionnaireItem[] | undefined {
  const defs = (engine.elm(library)?.json.library.statements?.def ?? []) as { name: string }[];
  return items?.map((item) => ({
    ...item,
    ...(item.extension
      ? {
          extension: item.extension.map((e): Extension => {
            if (e.url !== INITIAL_EXPRESSION || !e.valueExpression) return e;
            const name = /\.(?:"([^"]+)"|([A-Za-z0-9_]+))$/.exec(
              e.valueExpression.expression ?? '',
            );
            const def = defs.find((d) => d.name === (name?.[1] ?? name?.[2]));
            return {
              ...e,
              valueExpression: {
                ...e.valueExpression,
                extension: [
                  {
                    url: ALTERNATIVE_EXPRESSION,
                    valueExpression: {
                      language: 'application/elm+json',
                      expression: JSON.stringify(def),
                    },
                  },
                ],
              },
            };
          }),
        }
      : {}),
    ...(item.item ? { item: withElm(item.item, engine, library) } : {}),
  }));
}

/** The Library resources a form needs: its own, then what each depends on. */
function neededLibraries(libraries: Map<string, Library>, form: DocumentationForm): Library[] {
  const out: Library[] = [];
  const visit = (key: string) => {
    const lib = libraries.get(key);
    if (!lib || out.includes(lib)) return;
    out.push(lib);
    for (const dep of lib.relatedArtifact ?? []) visit(dep.resource!);
  };
  const root = [...libraries.values()].find((l) => l.name === form.library)!;
  visit(`${root.url}|${root.version}`);
  return out;
}

/** The ValueSets those Libraries use. */
function neededValueSets(
  engine: Engine,
  valueSets: Map<string, ValueSet>,
  libraries: Library[],
): ValueSet[] {
  const urls = new Set(
    libraries.flatMap((l) =>
      ((engine.elm(l.name!)?.json.library.valueSets?.def ?? []) as { id: string }[]).map(
        (d) => d.id,
      ),
    ),
  );
  return [...urls].map((u) => valueSets.get(u)).filter((v): v is ValueSet => v !== undefined);
}

/** The ValueSet files (with their expansions), by url. */
function readValueSets(dir: string): Map<string, ValueSet> {
  const valueSets = new Map<string, ValueSet>();
  for (const file of fs.readdirSync(dir).filter((x) => x.endsWith('.json'))) {
    const vs = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')) as ValueSet;
    if (vs.url) valueSets.set(vs.url, vs);
  }
  return valueSets;
}

/** Builds the catalog for the policies (every version) once; content errors stop startup. */
export function buildDtrCatalog(
  paths: ContentPaths,
  engine: Engine,
  policies: Policy[],
): DtrCatalog {
  const versions = policies.flatMap((p) => (p.versions.length > 0 ? p.versions : [p]));
  const forms = versions
    .map((p) => loadDocumentationForm(paths.cardsDir, p, engine))
    .filter((f): f is DocumentationForm => f !== undefined)
    .map((f) => ({
      ...f,
      questionnaire: {
        ...f.questionnaire,
        text: {
          status: 'generated' as const,
          div: `<div xmlns="http://www.w3.org/1999/xhtml">${f.questionnaire.title ?? f.policy.definition.id}</div>`,
        },
        item: withElm(f.questionnaire.item, engine, f.library),
      } as Questionnaire,
    }));
  const byPolicy = new Map(forms.map((f) => [f.policy, f]));
  const index = new Map<string, DocumentationForm>();
  for (const f of forms) {
    index.set(f.canonical, f);
    const url = f.questionnaire.url as string;
    const newest = index.get(url);
    if (!newest || newest.policy.effectiveFrom < f.policy.effectiveFrom) index.set(url, f);
  }
  const cqlDir = paths.cqlDir;
  const libraries = new Map<string, Library>();
  const add = (name: string): void => {
    const lib = libraryResource(engine, name, cqlDir);
    const key = `${lib.url}|${lib.version}`;
    if (libraries.has(key)) return;
    libraries.set(key, lib);
    for (const dep of lib.relatedArtifact ?? [])
      add(dep.resource!.split('|')[0]!.split('/').pop()!);
  };
  for (const f of forms) add(f.library);
  const valueSets = readValueSets(paths.valueSetDir);
  const librariesOf = (form: DocumentationForm) => neededLibraries(libraries, form);
  const valueSetsOf = (form: DocumentationForm) =>
    neededValueSets(engine, valueSets, librariesOf(form));
  return {
    forms,
    index,
    formOf: (policy) => byPolicy.get(policy),
    libraries,
    valueSets,
    librariesOf,
    valueSetsOf,
  };
}
