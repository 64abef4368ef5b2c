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
}

/** The decisions behind returned cards, found again by card uuid (also after a restart). */
export interface DecisionLog {
  record(decisions: Decision[]): Promise<void>;
  find(cardUuids: string[]): Promise<Map<string, Decision>>;
  /** Resolves when every decision recorded so far is stored (called before the process exits). */
  flush(): Promise<void>;
}

/** The time, injectable so tests and evaluations are reproducible. */
export type Clock = () => Date;
