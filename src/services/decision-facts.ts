import type { Card, CdsResponse, SystemAction } from '../cds/types';
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

const CI = 'http://hl7.org/fhir/us/davinci-crd/StructureDefinition/ext-coverage-information';

/** The assertion and satisfied-PA ids of an order's annotation (one id per order and coverage). */
function idsOf(actions: SystemAction[], orderId: string | undefined) {
  const action = orderId ? actions.find((a) => a.resource.id === orderId) : undefined;
  const ext = action?.resource.extension?.find((e) => e.url === CI);
  const value = (url: string) => ext?.extension?.find((e) => e.url === url)?.valueString;
  return { assertion: value('coverage-assertion-id'), satisfied: action?.resource.extension };
}

/** Attaches to `response` the facts of each evaluation (its card is cards[i]). */
export function recordFacts(response: CdsResponse, run: OrderSignRun, cards: Card[]): CdsResponse {
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
    const { assertion, satisfied } = idsOf(response.systemActions, e.match.order.id);
    // The satisfied-pa-id of this policy's repetition, when the payer's switch gave one.
    const paId = (satisfied ?? [])
      .filter((x) => x.url === CI)
      .flatMap((x) => x.extension ?? [])
      .find(
        (x) =>
          x.url === 'satisfied-pa-id' &&
          x.valueString?.includes(`-${e.match.policy.definition.id}-`),
      )?.valueString;
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
      ...(assertion ? { coverageAssertionId: assertion } : {}),
      ...(paId ? { satisfiedPaId: paId } : {}),
      dataSource,
      overrideReasons: (card.overrideReasons ?? []).map((r) => r.code),
    };
  });
  FACTS.set(response, facts);
  return response;
}
