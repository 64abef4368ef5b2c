import path from 'node:path';

/** Where the content lives: policy definitions, compiled ELM, value sets. */
export interface ContentPaths {
  /** Policy and service definitions (cards/*.json). */
  cardsDir: string;
  /** Compiled ELM (cql/elm/*.json). */
  elmDir: string;
  /** The CQL sources (cql/*.cql), served with their ELM in DTR Libraries. */
  cqlDir: string;
  /** FHIR ValueSets with expansions (cql/valuesets/*.json). */
  valueSetDir: string;
}

/** The repository root, from src/platform (TypeScript) or dist/platform (built). */
export const REPO_ROOT = path.resolve(__dirname, '..', '..');

export const DEFAULT_CONTENT: ContentPaths = {
  cardsDir: path.join(REPO_ROOT, 'cards'),
  elmDir: path.join(REPO_ROOT, 'cql', 'elm'),
  cqlDir: path.join(REPO_ROOT, 'cql'),
  valueSetDir: path.join(REPO_ROOT, 'cql', 'valuesets'),
};
