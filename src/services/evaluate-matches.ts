import type { Bundle, MedicationRequest } from 'fhir/r4';
import type { Evaluate } from '../engine/evaluator';
import type { PolicyMatch } from '../policy/select';
import { evaluatePolicy, type PolicyResult } from '../policy/result';

/** One (draft order × policy) evaluation: its result, or the error that stopped it. */
export interface Evaluation {
  match: PolicyMatch;
  /** The policy's order fields (drug name, dose...) for the card. */
  fields: Record<string, string>;
  result?: PolicyResult;
  error?: Error;
}

/** The patient's record as gathered, and the evaluation time fixed for the request. */
export interface EvaluationScope {
  patientId: string;
  bundle: Bundle;
  now: Date;
}

/**
 * The one (draft order × policy) loop: each match is evaluated over the same record, with the
 * other draft orders as context. A failing evaluation is kept as an error for that order only.
 */
export async function evaluateMatches(
  evaluate: Evaluate,
  matches: PolicyMatch[],
  orders: MedicationRequest[],
  scope: EvaluationScope,
): Promise<Evaluation[]> {
  return Promise.all(
    matches.map(async (match): Promise<Evaluation> => {
      const fields = match.policy.orderReader.fields(match.order);
      const input = {
        ...scope,
        draftOrder: match.order,
        otherDraftOrders: orders.filter((o) => o !== match.order),
      };
      try {
        return { match, fields, result: await evaluatePolicy(evaluate, match.policy, input) };
      } catch (e) {
        return { match, fields, error: e as Error };
      }
    }),
  );
}
