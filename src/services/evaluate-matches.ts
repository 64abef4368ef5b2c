import type { Bundle, MedicationRequest } from 'fhir/r4';
import type { Evaluate } from '../engine/evaluator';
import type { PolicyMatch } from '../policy/select';
import { evaluatePolicy, type PolicyResult } from '../policy/result';
import type { EvaluationCache } from './evaluation-cache';

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

/** How a call uses the order-select cache: store its results (order-select) or look them up. */
export interface CacheUse {
  cache: EvaluationCache;
  mode: 'store' | 'lookup';
  /** Counts hits and misses (lookup) and stores. */
  count?: (result: 'hit' | 'miss' | 'stored') => void;
}

/**
 * The one (draft order × policy) loop: each match is evaluated over the same record, with the
 * other draft orders as context. A failing evaluation is kept as an error for that order only.
 * With `cache`, an order-select's results are kept and an order-sign on the same data reuses them.
 */
export async function evaluateMatches(
  evaluate: Evaluate,
  matches: PolicyMatch[],
  orders: MedicationRequest[],
  scope: EvaluationScope,
  cache?: CacheUse,
): Promise<Evaluation[]> {
  const now = scope.now.getTime();
  return Promise.all(
    matches.map(async (match): Promise<Evaluation> => {
      const fields = match.policy.orderReader.fields(match.order);
      const key = cache?.cache.key(match, orders, scope);
      const cached = key && cache?.mode === 'lookup' ? cache.cache.get(key, now) : undefined;
      if (cache?.mode === 'lookup') cache.count?.(cached ? 'hit' : 'miss');
      if (cached) return { match, fields, result: cached };
      const input = {
        ...scope,
        draftOrder: match.order,
        otherDraftOrders: orders.filter((o) => o !== match.order),
      };
      try {
        const result = await evaluatePolicy(evaluate, match.policy, input);
        if (key && cache?.mode === 'store') {
          cache.cache.set(key, scope.patientId, result, now);
          cache.count?.('stored');
        }
        return { match, fields, result };
      } catch (e) {
        return { match, fields, error: e as Error };
      }
    }),
  );
}
