#!/usr/bin/env node
// Translates every cql/*.cql library to ELM JSON in cql/elm/ with the JavaScript build of the
// reference translator (@cqframework/cql), so no Java is needed.
//
//   node tools/compile-cql.mjs            write cql/elm/<Library>.json
//   node tools/compile-cql.mjs --check    translate in memory; exit 1 when the committed ELM
//                                           differs or a library has errors
//
// Model info: System comes from cql/modelinfo/system-modelinfo.xml (written for this project);
// FHIR 4.0.1 is loaded from the installed cql-exec-fhir package. Included libraries (for
// example FHIRHelpers) are resolved from cql/ by name. ELM is written without annotations and
// with locators, so runtime errors can point back to a CQL line.
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import {
  CqlTranslator,
  CqlCompilerOptions,
  LibraryManager,
  ModelManager,
  createLibrarySourceProvider,
  createModelInfoProvider,
  createUcumService,
  stringAsSource,
} from '@cqframework/cql/cql-to-elm';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const cqlDir = path.join(root, 'cql');
const elmDir = path.join(cqlDir, 'elm');
const require = createRequire(import.meta.url);

function modelInfoXml(name, version) {
  if (name === 'System') {
    return fs.readFileSync(path.join(cqlDir, 'modelinfo', 'system-modelinfo.xml'), 'utf8');
  }
  if (name === 'FHIR' && (version == null || version === '4.0.1')) {
    const fhirLib = path.dirname(require.resolve('cql-exec-fhir'));
    return fs.readFileSync(path.join(fhirLib, 'modelInfos', 'fhir-modelinfo-4.0.1.xml'), 'utf8');
  }
  return null;
}

function cqlFiles() {
  return fs
    .readdirSync(cqlDir)
    .filter((f) => f.endsWith('.cql'))
    .sort();
}

/** Library name declared in a CQL file ("library Name version '1.0.0'"). */
function libraryName(text) {
  const m = /^\s*library\s+("?)([A-Za-z0-9_]+)\1/m.exec(text);
  return m ? m[2] : null;
}

function newLibraryManager() {
  const models = new ModelManager();
  models.modelInfoLoader.registerModelInfoProvider(
    createModelInfoProvider((id, _system, version) => {
      const xml = modelInfoXml(id, version);
      return xml == null ? null : stringAsSource(xml);
    }),
  );
  const options = new CqlCompilerOptions();
  options.setOptions([
    CqlCompilerOptions.Options.EnableLocators,
    CqlCompilerOptions.Options.EnableResultTypes,
    CqlCompilerOptions.Options.DisableListDemotion,
    CqlCompilerOptions.Options.DisableListPromotion,
  ]);
  // Units in date arithmetic (28 days, 90 days) are CQL calendar durations. The JavaScript
  // build has no UCUM service of its own; the translator only needs one to check units, which
  // we do not ask it to do, so this one accepts units and refuses conversions.
  options.validateUnits = false;
  const refuse = () => {
    throw new Error('UCUM conversion is not available at translation time');
  };
  const ucum = createUcumService(refuse, () => null, refuse, refuse);
  const libraries = new LibraryManager(models, options, null, ucum);
  const byName = new Map(
    cqlFiles().map((f) => {
      const text = fs.readFileSync(path.join(cqlDir, f), 'utf8');
      return [libraryName(text), text];
    }),
  );
  libraries.librarySourceLoader.registerProvider(
    createLibrarySourceProvider((id) => {
      const text = byName.get(id);
      return text == null ? null : stringAsSource(text);
    }),
  );
  return libraries;
}

function describe(e, file) {
  // The Kotlin/JS build exposes the locator only through toString():
  // TrackBack{library=..., startLine=93, startChar=59, endLine=93, endChar=59}
  const loc = e.locator ? /startLine=(\d+), startChar=(\d+)/.exec(String(e.locator)) : null;
  const where = loc ? `${file}:${loc[1]}:${loc[2]}` : file;
  const severity = e.severity?.name?.toLowerCase() ?? 'error';
  return `${where}: ${severity}: ${e.message}`;
}

/** Translate every library; returns { outputs: Map<file, json>, problems: string[] }. */
export function translateAll() {
  const outputs = new Map();
  const problems = [];
  for (const file of cqlFiles()) {
    const text = fs.readFileSync(path.join(cqlDir, file), 'utf8');
    const translator = CqlTranslator.fromText(text, newLibraryManager());
    for (const e of translator.errors.asJsReadonlyArrayView())
      problems.push(describe(e, `cql/${file}`));
    const elm = JSON.parse(translator.toJson());
    const name = libraryName(text) ?? path.basename(file, '.cql');
    outputs.set(`${name}.json`, JSON.stringify(elm, null, 1) + '\n');
  }
  return { outputs, problems };
}

/**
 * Fills in each value set's expansion from its compose (enumerated concepts and included value
 * sets, recursively), so authors edit compose only and the engine reads expansions.
 */
export function expandValueSets() {
  const dir = path.join(cqlDir, 'valuesets');
  const files = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort();
  const byUrl = new Map();
  const docs = new Map();
  for (const f of files) {
    const vs = JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8'));
    if (vs.resourceType !== 'ValueSet' || !vs.url)
      throw new Error(`cql/valuesets/${f}: not a ValueSet with a url`);
    byUrl.set(vs.url, vs);
    docs.set(f, vs);
  }
  const expand = (vs, seen) => {
    if (seen.has(vs.url)) throw new Error(`value set ${vs.url} includes itself`);
    const out = [];
    for (const inc of vs.compose?.include ?? []) {
      for (const c of inc.concept ?? [])
        out.push({ system: inc.system, code: c.code, display: c.display });
      for (const ref of inc.valueSet ?? []) {
        const child = byUrl.get(ref);
        if (!child) throw new Error(`value set ${vs.url} includes unknown value set ${ref}`);
        out.push(...expand(child, new Set([...seen, vs.url])));
      }
    }
    const unique = new Map(out.map((c) => [`${c.system}|${c.code}`, c]));
    return [...unique.values()];
  };
  const outputs = new Map();
  for (const [f, vs] of docs) {
    const contains = expand(vs, new Set());
    const { expansion: _old, ...rest } = vs;
    const expanded = {
      ...rest,
      expansion: { timestamp: vs.date, total: contains.length, contains },
    };
    outputs.set(f, JSON.stringify(expanded, null, 2) + '\n');
  }
  return { dir, outputs };
}

function main() {
  const check = process.argv.includes('--check');
  const { outputs, problems } = translateAll();
  const valueSets = expandValueSets();
  if (problems.length > 0) {
    for (const p of problems) console.error(p);
    console.error(`CQL translation failed with ${problems.length} error(s).`);
    process.exit(1);
  }
  if (check) {
    const stale = [];
    const expected = new Set(outputs.keys());
    for (const [name, json] of outputs) {
      const target = path.join(elmDir, name);
      if (!fs.existsSync(target) || fs.readFileSync(target, 'utf8') !== json)
        stale.push(`cql/elm/${name}`);
    }
    if (fs.existsSync(elmDir)) {
      for (const f of fs.readdirSync(elmDir))
        if (!expected.has(f)) stale.push(`cql/elm/${f} (no CQL source)`);
    }
    for (const [f, json] of valueSets.outputs) {
      if (fs.readFileSync(path.join(valueSets.dir, f), 'utf8') !== json)
        stale.push(`cql/valuesets/${f} (expansion)`);
    }
    if (stale.length > 0) {
      console.error(`Committed ELM is stale; run "npm run cql":\n  ${stale.join('\n  ')}`);
      process.exit(1);
    }
    console.log(
      `ELM and value set expansions are current (${outputs.size} libraries, ${valueSets.outputs.size} value sets).`,
    );
    return;
  }
  fs.mkdirSync(elmDir, { recursive: true });
  for (const f of fs.readdirSync(elmDir)) if (!outputs.has(f)) fs.unlinkSync(path.join(elmDir, f));
  for (const [name, json] of outputs) fs.writeFileSync(path.join(elmDir, name), json);
  for (const [f, json] of valueSets.outputs) fs.writeFileSync(path.join(valueSets.dir, f), json);
  console.log(
    `Translated ${outputs.size} libraries to cql/elm/ and expanded ${valueSets.outputs.size} value sets.`,
  );
}

main();
