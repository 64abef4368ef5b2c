import { EvaluationError } from '../engine/errors';
import type { Evaluate, EvaluationInput, RawResults } from '../engine/evaluator';
import { explain, type CriterionStatus, type Explanation } from './formula';
import type { Policy } from './load';

/** The result contract every policy library exposes (see cql/README.md). */
export type Outcome = 'criteria-met' | 'criteria-not-met' | 'documentation-needed';
export type { CriterionStatus } from './formula';

export interface CriterionResult {
  id: string;
  status: CriterionStatus;
  text: string;
  evidence: string[];
  /** What the record showed, in a sentence (for the card detail). */
  detail: string;
}

export interface PolicyResult {
  policy: string;
  outcome: Outcome;
  criteria: CriterionResult[];
  /** The value of each card template's `when` definition and of `offLabel` (true, false or null). */
  conditions: Record<string, boolean | null>;
  /** What decides the outcome, read against the policy's formula. */
  explanation: Explanation;
}

const VALUE_OF: Record<Outcome, boolean | null> = {
  'criteria-met': true,
  'criteria-not-met': false,
  'documentation-needed': null,
};

const OUTCOMES: readonly string[] = ['criteria-met', 'criteria-not-met', 'documentation-needed'];
const STATUSES: readonly string[] = ['met', 'not-met', 'unknown'];

/** Reads a library's contract values into a result; a value outside the contract is an EvaluationError. */
export function readResult(policy: Policy, raw: RawResults): PolicyResult {
  const def = policy.definition;
  const outcome = raw['Outcome'];
  if (typeof outcome !== 'string' || !OUTCOMES.includes(outcome)) {
    throw new EvaluationError(def.id, `"Outcome" returned ${JSON.stringify(outcome)}`);
  }
  const rows = raw['Criteria'];
  if (!Array.isArray(rows)) throw new EvaluationError(def.id, '"Criteria" is not a list');
  const byId = new Map<string, CriterionResult>();
  for (const row of rows as Record<string, unknown>[]) {
    const id = String(row.id);
    const status = String(row.status);
    if (!STATUSES.includes(status))
      throw new EvaluationError(def.id, `criterion ${id} has status ${status}`);
    const evidence = Array.isArray(row.evidence)
      ? [...new Set(row.evidence.filter((x): x is string => typeof x === 'string'))]
      : [];
    byId.set(id, {
      id,
      status: status as CriterionStatus,
      text: String(row.text ?? ''),
      evidence,
      detail: typeof row.detail === 'string' ? row.detail : '',
    });
  }
  const criteria = def.criteria.map((id) => {
    const c = byId.get(id);
    if (!c)
      throw new EvaluationError(
        def.id,
        `library ${def.library.name} returned no row for criterion ${id}`,
      );
    return c;
  });
  const conditions = Object.fromEntries(
    [...def.cards.map((c) => c.when), ...(def.offLabel ? [def.offLabel] : [])].map((name) => {
      const v = raw[name];
      return [name, typeof v === 'boolean' ? v : null];
    }),
  );
  const explanation = explain(
    policy.formula,
    Object.fromEntries(criteria.map((c) => [c.id, c.status])),
  );
  // The library's "Outcome" and the document's formula over its own criteria must agree: a card
  // that explains one answer and states another would be worse than no card.
  if (explanation.value !== VALUE_OF[outcome as Outcome])
    throw new EvaluationError(
      def.id,
      `"Outcome" is ${outcome}, but the formula ${def.formula} gives ${String(explanation.value)} for the criteria`,
    );
  return { policy: def.id, outcome: outcome as Outcome, criteria, conditions, explanation };
}

/** Evaluates one policy for one order: runs its program, reads the contract. */
export async function evaluatePolicy(
  evaluate: Evaluate,
  policy: Policy,
  input: EvaluationInput,
): Promise<PolicyResult> {
  return readResult(policy, await evaluate(policy.program, input, policy.expressions));
}
