import { statusAs, type ReadStatus, type Role } from '../policy/formula';
import type { Policy } from '../policy/load';
import type { CriterionResult, Outcome, PolicyResult } from '../policy/result';

/** The `prior-auth-criteria` card extension (its JSON shape is documented in the README). */
export interface PriorAuthCriteria {
  policy: string;
  /** The policy version evaluated (the one in force on the order's date) and its first day. */
  policyVersion: string;
  effectiveFrom: string;
  outcome: Outcome | 'error';
  formula: string;
  /** The ids the summary names: what decides. */
  decidedBy: string[];
  approvingBranch?: string[];
  blockingCriteria?: string[];
  missingSets?: string[][];
  /** What would settle each criterion of the missing sets. */
  toDocument?: Record<string, string>;
  offLabel?: boolean;
  notes?: string[];
  criteria: {
    id: string;
    role: Role;
    status: ReadStatus;
    text: string;
    detail: string;
    evidence: string[];
  }[];
}

/** The machine-readable result a card carries, for EHRs and the try page. */
export function extensionOf(
  policy: Policy,
  result: {
    outcome: PriorAuthCriteria['outcome'];
    criteria: CriterionResult[];
    conditions: PolicyResult['conditions'];
    explanation?: PolicyResult['explanation'];
  },
): { 'prior-auth-criteria': PriorAuthCriteria } {
  const def = policy.definition;
  const e = result.explanation;
  const toDocument = e?.missingSets
    ? Object.fromEntries(e.missingSets.flat().map((id) => [id, def.nextSteps[id] ?? '']))
    : undefined;
  return {
    'prior-auth-criteria': {
      policy: def.id,
      policyVersion: policy.version,
      effectiveFrom: policy.effectiveFrom,
      outcome: result.outcome,
      formula: def.formula,
      decidedBy: e ? [...e.decidedBy] : [],
      ...(e?.approvingBranch ? { approvingBranch: [...e.approvingBranch] } : {}),
      ...(e?.blockingCriteria ? { blockingCriteria: [...e.blockingCriteria] } : {}),
      ...(e?.missingSets ? { missingSets: e.missingSets.map((s) => [...s]) } : {}),
      ...(toDocument ? { toDocument } : {}),
      ...(def.offLabel && result.conditions[def.offLabel] === true ? { offLabel: true } : {}),
      ...(def.notes?.length ? { notes: [...def.notes] } : {}),
      criteria: result.criteria.map((c) => {
        const role = policy.formula.roles[c.id] ?? 'inclusion';
        return {
          id: c.id,
          role,
          status: statusAs(role, c.status),
          text: c.text,
          detail: c.detail,
          evidence: [...c.evidence],
        };
      }),
    },
  };
}
