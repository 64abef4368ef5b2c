import type { FeedbackRecord } from './cds/types';

/** Where feedback on cards is kept (CDS Hooks feedback endpoint), joined to the card's decision. */
export interface FeedbackSink {
  append(records: FeedbackRecord[]): Promise<void>;
}

/**
 * What the service decided for one card it returned, so feedback on the card can be tied to a
 * policy and an outcome. No patient id, no names, no free text from the record.
 */
export interface Decision {
  /** The card's uuid. */
  card: string;
  service: string;
  policy: string;
  /** criteria-met | criteria-not-met | documentation-needed | error */
  outcome: string;
  hookInstance: string;
  /** ISO 8601 instant. */
  decidedAt: string;
  /** The override reason codes the card offered (may be empty). */
  overrideReasons: string[];
  /** The rest of the decision on record (a store that keeps only the above may drop them). */
  hook?: string;
  /** The authenticated client (its `iss`), when authentication is on. */
  client?: string;
  policyVersion?: string;
  /** Each criterion's status and the references of its evidence (no record text). */
  criteria?: { id: string; status: string; evidence: string[] }[];
  /** The order decided on ("MedicationRequest/<id>"), when it has an id. */
  order?: string;
  /** The patient as configured (PATIENT_REFERENCES): a reference, a keyed hash, or absent. */
  patient?: string;
  coverageAssertionId?: string;
  satisfiedPaId?: string;
  /** From the call's arrival to its answer. */
  latencyMs?: number;
  /** Where the record came from: "prefetch" or "fhir" (some keys fetched). */
  dataSource?: string;
}

/** The decisions behind returned cards, found again by card uuid (also after a restart). */
export interface DecisionLog {
  record(decisions: Decision[]): Promise<void>;
  find(cardUuids: string[]): Promise<Map<string, Decision>>;
  /** Resolves when every decision recorded so far is stored (called before the process exits). */
  flush(): Promise<void>;
}

/** JWT ids seen (replay protection), shared by every replica when the store is. */
export interface ReplayCache {
  /** Claims `key` until `expiresAt` (epoch ms): true the first time, false when already claimed. */
  claim(key: string, expiresAt: number): Promise<boolean>;
}

/** Per-client request counts per minute window, shared by every replica when the store is. */
export interface RateStore {
  /** Counts one request for `key` in the window starting at `windowStart` (epoch ms); the count so far. */
  hit(key: string, windowStart: number): Promise<number>;
}

/** One policy's figures over a period (the reports endpoint). */
export interface PolicyReport {
  policy: string;
  decisions: number;
  /** Decisions by outcome (criteria-met, criteria-not-met, documentation-needed, error). */
  outcomes: Record<string, number>;
  /** Share of decisions answered in under 5 s (CRD metrics), 0..1. */
  under5s: number;
  /** Cards with feedback, accepted and overridden (the latest feedback per card counts). */
  withFeedback: number;
  accepted: number;
  overridden: number;
  /** Override reason codes, most frequent first. */
  overrideReasons: { code: string; count: number }[];
}

/** Reports over the decisions and feedback on record (a database). */
export interface Reports {
  byPolicy(from: Date, to: Date): Promise<PolicyReport[]>;
  /** Every decision on an order or under a coverage-assertion-id, oldest first, with its feedback. */
  trail(q: {
    order?: string;
    coverageAssertionId?: string;
  }): Promise<(Decision & { feedback: FeedbackRecord[] })[]>;
}

/** The time, injectable so tests and evaluations are reproducible. */
export type Clock = () => Date;

/** New unique ids (card uuids), injectable so tests can name what they will look up. */
export type IdSource = () => string;
