import type { MedicationRequest } from 'fhir/r4';
import type { Card, CdsResponse } from '../cds/types';
import type { OrderSignRun } from './types';

/**
 * What the service decided on one (order × policy), for the decision record: no record text, only
 * ids, statuses and references. The HTTP layer adds who called, when and how long it took.
 */
export interface DecisionFacts {
  card: string;
  policy: string;
  policyVersion: string;
  outcome: string;
  criteria: { id: string; status: string; evidence: string[] }[];
  /** "MedicationRequest/<id>", when the order has an id. */
  order?: string;
  patientId: string;
  coverageAssertionId?: string;
  satisfiedPaId?: string;
  /** "fhir" when some data was read from the FHIR server, else "prefetch". */
  dataSource: string;
  overrideReasons: string[];
}

const FACTS = new WeakMap<CdsResponse, DecisionFacts[]>();

/** The decisions behind an answer built by respond (none for any other object). */
export function decisionFacts(response: CdsResponse): DecisionFacts[] {
  return FACTS.get(response) ?? [];
}

/** The ids of one (order, policy)'s coverage-information annotation. */
export interface AnnotationIds {
  assertion: string;
  satisfied?: string;
}

/** Per annotated order, per policy id, the ids its annotation carries. */
export type AnnotatedIds = Map<MedicationRequest, Map<string, AnnotationIds>>;

/** Attaches to `response` the facts of each evaluation (its card is cards[i]). */
export function recordFacts(
  response: CdsResponse,
  run: OrderSignRun,
  cards: Card[],
  annotated: AnnotatedIds,
): CdsResponse {
  const dataSource = (run.data?.fetched.length ?? 0) > 0 ? 'fhir' : 'prefetch';
  const facts = run.evaluations.map((e, i): DecisionFacts => {
    const card = cards[i]!;
    const ext = card.extension?.['prior-auth-criteria'] as
      | {
          policyVersion: string;
          outcome: string;
          criteria: { id: string; status: string; evidence: string[] }[];
        }
      | undefined;
    const ids = annotated.get(e.match.order)?.get(e.match.policy.definition.id);
    return {
      card: card.uuid,
      policy: e.match.policy.definition.id,
      policyVersion: e.match.policy.version,
      outcome: ext?.outcome ?? 'error',
      criteria: (ext?.criteria ?? []).map((c) => ({
        id: c.id,
        status: c.status,
        evidence: c.evidence,
      })),
      ...(e.match.order.id ? { order: `MedicationRequest/${e.match.order.id}` } : {}),
      patientId: run.request.context.patientId,
      ...(ids ? { coverageAssertionId: ids.assertion } : {}),
      ...(ids?.satisfied ? { satisfiedPaId: ids.satisfied } : {}),
      dataSource,
      overrideReasons: (card.overrideReasons ?? []).map((r) => r.code),
    };
  });
  FACTS.set(response, facts);
  return response;
}
