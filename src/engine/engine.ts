import { ContentError } from '../platform/errors';
import { Library, Repository } from './cql-engine';
import { FhirRecords } from './records';
import {
  checkValueSetsPresent,
  loadElm,
  retrievableOf,
  valueSetCodesOf,
  type ElmDefinition,
  type ElmLibrary,
} from './elm';
import { compileDerivation, type DerivedConfig } from './derive';
import { Evaluator, type Program } from './evaluator';
import { buildCodeService, loadValueSets, type ValueSetEntry } from './terminology';

/** Where the engine's content is: compiled ELM and value sets. */
export interface EngineContent {
  elmDir: string;
  valueSetDir: string;
}

export interface ProgramOptions {
  /** The library reads medication records only through its value sets (see Program.medicationCodes). */
  medicationsOnlyThroughValueSets?: boolean;
  /** What to derive from the record for the library (the policy definition's "derived"). */
  derived?: DerivedConfig;
}

/** The CQL engine with every library and value set loaded once, and the programs built from them. */
export interface Engine {
  valueSets: Map<string, ValueSetEntry>;
  evaluator: Evaluator;
  /** The library of that name, or undefined. */
  elm(name: string): ElmLibrary | undefined;
  /** The library's definitions and their result types. */
  definitions(name: string): ElmDefinition[];
  /** A runnable program for a library (built once per name and options). */
  program(name: string, options?: ProgramOptions): Program;
}

/** Loads ELM and value sets, checks that every referenced value set exists, builds the evaluator. */
export function loadEngine(content: EngineContent): Engine {
  const valueSets = new Map(loadValueSets(content.valueSetDir).map((v) => [v.url, v]));
  const elm = loadElm(content.elmDir);
  checkValueSetsPresent(elm, valueSets);
  const repository = new Repository(
    Object.fromEntries([...elm].map(([name, v]) => [name, v.json])),
  );
  const evaluator = new Evaluator(buildCodeService([...valueSets.values()]), FhirRecords.forR4());
  const programs = new Map<string, Program>();
  return {
    valueSets,
    evaluator,
    elm: (name) => elm.get(name),
    definitions: (name) => elm.get(name)?.json.library.statements?.def ?? [],
    program(name, options = {}) {
      const key = `${name}|${options.medicationsOnlyThroughValueSets === true}|${JSON.stringify(options.derived ?? {})}`;
      const known = programs.get(key);
      if (known) return known;
      const lib = elm.get(name);
      if (!lib) throw new ContentError(content.elmDir, `no ELM for library "${name}"`);
      const medicationCodes = options.medicationsOnlyThroughValueSets
        ? valueSetCodesOf(lib, elm, valueSets)
        : undefined;
      const codesOf = (url: string) => {
        const vs = valueSets.get(url);
        if (!vs)
          throw new ContentError(
            content.valueSetDir,
            `no value set ${url} (derived data of ${name})`,
          );
        return vs.codes.map((c) => `${c.system}|${c.code}`);
      };
      const derivation = compileDerivation(options.derived ?? {}, codesOf, medicationCodes);
      const program: Program = {
        name,
        library: new Library(lib.json, repository),
        retrievable: retrievableOf(lib, elm, valueSets),
        ...(derivation.medicationCodes ? { medicationCodes: derivation.medicationCodes } : {}),
        derivation,
      };
      programs.set(key, program);
      return program;
    },
  };
}
