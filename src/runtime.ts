import path from 'node:path';
import { PolicyEvaluator } from './evaluate';
import { FhirRecords } from './fhir-record';
import { loadPolicies, type Policy } from './policies';
import { buildCodeService, loadValueSets, type ValueSetEntry } from './terminology';

export interface ContentPaths {
  /** Policy definitions (cards/*.json). */
  cardsDir: string;
  /** Compiled ELM (cql/elm/*.json). */
  elmDir: string;
  /** FHIR ValueSets with expansions (cql/valuesets/*.json). */
  valueSetDir: string;
}

export const REPO_ROOT = path.resolve(__dirname, '..');

export const DEFAULT_CONTENT: ContentPaths = {
  cardsDir: path.join(REPO_ROOT, 'cards'),
  elmDir: path.join(REPO_ROOT, 'cql', 'elm'),
  valueSetDir: path.join(REPO_ROOT, 'cql', 'valuesets'),
};

export interface Runtime {
  policies: Policy[];
  valueSets: ValueSetEntry[];
  evaluator: PolicyEvaluator;
}

/** Loads all policy content and builds the engine objects, once. */
export function loadRuntime(paths: ContentPaths = DEFAULT_CONTENT): Runtime {
  const valueSets = loadValueSets(paths.valueSetDir);
  const policies = loadPolicies(paths.cardsDir, paths.elmDir, valueSets);
  const evaluator = new PolicyEvaluator(buildCodeService(valueSets), FhirRecords.forR4());
  return { policies, valueSets, evaluator };
}
