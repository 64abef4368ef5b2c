import type { Bundle, MedicationRequest, Task } from 'fhir/r4';

/** CDS Hooks 2.0 fhirAuthorization. The token is never logged or echoed. */
export interface FhirAuthorization {
  access_token: string;
  token_type: string;
  expires_in?: number;
  scope?: string;
  subject?: string;
  patient?: string;
}

/**
 * A validated order-sign request (CDS Hooks 2.0), or an order-select or order-dispatch one in the
 * same shape: for order-dispatch, `draftOrders` holds the dispatched orders as resolved.
 */
export interface OrderSignRequest {
  hook: 'order-sign' | 'order-select' | 'order-dispatch';
  /** order-select: the draft orders selected ("MedicationRequest/<id>"); only they are evaluated. */
  selections?: string[];
  /** order-dispatch: who will perform the orders, and the fulfillment Tasks sent (not evaluated). */
  dispatch?: { performer: string; fulfillmentTasks: Task[] };
  hookInstance: string;
  fhirServer?: string;
  fhirAuthorization?: FhirAuthorization;
  /** userId: absent for order-dispatch, whose context has none. */
  context: { userId?: string; patientId: string; encounterId?: string; draftOrders: Bundle };
  prefetch: Record<string, unknown>;
  extension?: Record<string, unknown>;
}

export type Indicator = 'info' | 'warning' | 'critical';

/** A FHIR Coding as CDS Hooks carries it (override reasons need a display). */
export interface Coding {
  system?: string;
  code: string;
  display: string;
}

/** CDS Hooks 2.0 card; services put their machine-readable results in `extension`. */
export interface Card {
  uuid: string;
  summary: string;
  detail: string;
  indicator: Indicator;
  source: {
    label: string;
    url?: string;
    topic?: { system: string; code: string; display: string };
  };
  links?: { label: string; url: string; type: 'absolute' }[];
  /** CDS Hooks 2.0: reasons a clinician may pick when going on without acting on the card. */
  overrideReasons?: Coding[];
  extension?: Record<string, unknown>;
}

export interface SystemAction {
  type: 'update';
  description: string;
  resource: MedicationRequest;
}

/** The CDS Hooks response of a service call. */
export interface CdsResponse {
  cards: Card[];
  systemActions: SystemAction[];
}

/** One CDS Hooks 2.0 feedback item. */
export interface FeedbackItem {
  card: string;
  outcome: 'accepted' | 'overridden';
  outcomeTimestamp: string;
  acceptedSuggestions?: { id: string }[];
  overrideReason?: {
    reason?: { system?: string; code?: string; display?: string };
    userComment?: string;
  };
}

/**
 * One feedback item as stored: the item, when and for which service it arrived, and the decision
 * behind the card (null when the card is unknown: such feedback is still kept).
 */
export interface FeedbackRecord extends FeedbackItem {
  receivedAt: string;
  service: string;
  policy: string | null;
  /** The card's outcome when it was returned (criteria-met, criteria-not-met, ...). */
  decisionOutcome: string | null;
  hookInstance: string | null;
  decidedAt: string | null;
  /** Whether overrideReason.reason.code was among the card's offered reasons; null when no code or unknown card. */
  reasonOffered: boolean | null;
}
