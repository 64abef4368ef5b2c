/*
 * Derived data: what the engine computes once per evaluation from the record, before the CQL
 * runs, and hands to the library as parameters (declared in the CQL). It is plain JSON, so it
 * can cross to a worker thread; the evaluator turns it into CQL values.
 *
 *  - "Medication Records": every medication record with its drug codes and the FHIR modifiers
 *    applied (data rules v2, rule 2), computed for every library.
 *  - "Lines Of Therapy": the line-of-therapy walk (rule 7), for a policy that configures it.
 *  - "Text Readings": what free text states about markers, MRD and regimens (rule 5), for a
 *    policy that configures topics.
 */

/** How a policy asks for derived data (the "derived" field of its definition in cards/). */
export interface DerivedConfig {
  linesOfTherapy?: LinesConfig;
  /** Observation readings by topic name (e.g. "CD19", "KMT2A", "MRD"). */
  readings?: Record<string, ReadingTopic>;
  /** Regimen mentions on the draft order and CarePlans, by topic name (e.g. "Interfant"). */
  regimens?: Record<string, { names: string[] }>;
}

export interface LinesConfig {
  /** The agents that start or continue a line, each with its class and value set. */
  agents: { name: string; class: string; valueSet: string }[];
  /** A unit starting this many days (inclusive) after a line's first start joins its regimen. */
  windowDays: number;
  /** More than this many days without a record starts a new line. */
  gapDays: number;
}

export interface ReadingTopic {
  kind: 'antigen' | 'rearrangement' | 'mrd';
  /** How text names the topic (e.g. ["KMT2A", "MLL", "11q23"]). */
  aliases: string[];
  /** Value sets of tests dedicated to the topic (their bare result is read). */
  tests?: string[];
  /** Codes ("system|code") of reports that may state the topic among other findings. */
  reports?: string[];
  /** Code ("system|code") of a component whose value names the gene a test studies. */
  geneStudied?: string;
}

/** One medication record as the CQL reads it (parameter "Medication Records"). */
export interface MedicationRecord {
  /** "Type/id"; null for a record without id. */
  ref: string | null;
  kind: 'MedicationRequest' | 'MedicationStatement' | 'MedicationAdministration';
  /** Drug codes, "system|code": inline, contained or referenced Medication (code and ingredients). */
  codes: string[];
  /** The drug as written (concept text or first display), for cards. */
  display: string;
  /** The start as written in the record (date or dateTime), or null. */
  start: string | null;
  groupId: string | null;
  status: string;
  /** Counts as therapy received before this order (modifiers applied, started by today). */
  history: boolean;
  /** An active or on-hold order, or another draft order of this request, that is to be given. */
  activeOrder: boolean;
  /** One of the other draft orders of this request. */
  coOrdered: boolean;
  /** A request on record that may be relied on when a CarePlan activity references it. */
  usableOrder: boolean;
}

/** One line of therapy (parameter "Lines Of Therapy"). */
export interface Line {
  number: number;
  /** First start (YYYY-MM-DD). */
  start: string;
  agents: string[];
  classes: string[];
  refs: string[];
}

/** What text (or a coded value) states about a topic (parameter "Text Readings"). */
export interface Reading {
  topic: string;
  /** "Observation/id", "CarePlan/id", or "Draft Order". */
  source: string;
  status: string;
  /** When it applies: a full instant (a date alone is that day's start, UTC); null if undated. */
  at: string | null;
  /** positive | negative | ambiguous; MRD: negative | percent | ambiguous; regimens: affirmed | negated. */
  call: string;
  percent?: number;
  comparator?: string;
  /** The words that decided, as written. */
  quote: string;
}

export interface Derived {
  medicationRecords: MedicationRecord[];
  lines?: Line[];
  readings?: Reading[];
}
