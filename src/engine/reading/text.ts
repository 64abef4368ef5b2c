/*
 * Negation-aware readers of free-text lab and order text (data rules v2, cql/README.md "How text
 * is read"). Pure: no I/O, no FHIR types. Every pattern is compiled once (at module load, or once
 * per marker spec or regimen list) and is linear in the length of the text.
 *
 * Safety principle: a call is 'positive' only on affirmative, unambiguous evidence; contradictory,
 * hedged or unreadable text gives 'ambiguous', never 'positive'; 'negative' also needs an
 * affirmative statement of absence.
 */
export type {
  Call,
  Comparator,
  MarkerSpec,
  MrdReading,
  RegimenReading,
  TextReading,
} from './types';
export { readMarker, namesMarkerAlone } from './markers';
export { readResult } from './result';
export { readMrd } from './mrd';
export { readRegimen } from './regimen';
export { EXPRESSION_THRESHOLD_PERCENT } from './numbers';
