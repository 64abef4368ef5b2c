import type { MedicationRequest } from 'fhir/r4';
import type { RequestLimits } from '../cds/parse';
import type { ServiceDefinition } from '../cds/service-definition';
import type { OrderSignRequest } from '../cds/types';
import type { Evaluate } from '../engine/evaluator';
import type { GatherOptions, PatientData } from '../patient-data/gather';
import type { TrustedClient } from '../platform/config';
import type { Logger } from '../platform/log';
import type { Metrics } from '../platform/metrics';
import type { Policy } from '../policy/load';
import type { PolicyMatch } from '../policy/select';
import type { Clock, IdSource } from '../ports';
import type { Wording } from '../render/wording';
import type { DtrCatalog } from '../dtr/catalog';
import type { Evaluation } from './evaluate-matches';
import type { EvaluationCache } from './evaluation-cache';

/** What the order-sign service needs, built once in main. */
export interface OrderSignDeps {
  service: ServiceDefinition;
  policies: Policy[];
  /** Where programs run (a worker pool or in process), asked per request. */
  evaluator: () => Evaluate;
  /** FHIR fetching limits; `allowedFhirServers` is the default for clients without their own list. */
  gather: Omit<GatherOptions, 'observe'>;
  limits: RequestLimits;
  log: Logger;
  metrics?: Metrics;
  now: Clock;
  /** New card uuids. */
  newId: IdSource;
  /** The card and CRD wording (content); default the shipped wording. */
  wording?: Wording;
  /** The payer's real-time determination switch (REALTIME_DETERMINATION). */
  realtimeDetermination?: boolean;
  /** The payers this endpoint handles ("system|value"); empty: any (PAYER_IDENTIFIERS). */
  payerIdentifiers?: string[];
  /** The DTR forms: completed ones sent with a call are read as documentation. */
  documentation?: DtrCatalog;
  /** order-select results an order-sign on the same data reuses (one per process, shared by the services). */
  selectCache?: EvaluationCache;
}

/** Who is calling and how the service was reached (for the FHIR allow-list and card links). */
export interface CallContext {
  baseUrl: string;
  client?: TrustedClient;
}

/** An order-sign request taken through parse → select → gather → evaluate. */
export interface OrderSignRun {
  request: OrderSignRequest;
  orders: MedicationRequest[];
  matches: PolicyMatch[];
  data?: PatientData;
  evaluations: Evaluation[];
  now: Date;
  started: number;
}
