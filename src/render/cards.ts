import { randomUUID } from 'node:crypto';
import type { Card, Indicator } from '../cds/types';
import type { CardTemplate } from '../policy/definition';
import type { Policy } from '../policy/load';
import type { CriterionResult, Outcome, PolicyResult } from '../policy/result';
import { escapeMarkdown } from './markdown';
import { fill, type Wording } from './wording';

export interface PriorAuthCriteria {
  policy: string;
  outcome: Outcome | 'error';
  criteria: { id: string; status: CriterionResult['status']; text: string; evidence: string[] }[];
}

/** Where the service is reachable, for absolute links to its policy pages. */
export interface RenderContext {
  baseUrl: string;
}

const CRD_TOPIC = {
  system: 'http://hl7.org/fhir/us/davinci-crd/CodeSystem/temp',
  code: 'coverage-info',
  display: 'Coverage Information',
};
/** CDS Hooks: a summary is under 140 characters. Counted in UTF-16 units (never fewer than characters). */
const SUMMARY_MAX = 139;

/** The summary on one line, cut to SUMMARY_MAX with an ellipsis, never inside a surrogate pair. */
function cutSummary(s: string): string {
  const one = s.replace(/\s+/g, ' ').trim();
  if (one.length <= SUMMARY_MAX) return one;
  const cut = one.slice(0, SUMMARY_MAX - 1).replace(/[\uD800-\uDBFF]$/, '');
  return `${cut.trimEnd()}…`;
}

function documentLabel(policy: Policy, wording: Wording): string {
  const d = policy.definition.document;
  const reviewed = d.lastReviewed
    ? fill(wording.card.documentReviewed, { lastReviewed: d.lastReviewed })
    : '';
  return fill(wording.card.documentLabel, {
    documentNumber: d.number,
    documentTitle: d.title,
    published: d.published,
    reviewed,
  });
}

function linkLabel(policy: Policy, wording: Wording): string {
  return fill(wording.card.linkLabel, { documentNumber: policy.definition.document.number });
}

function policyUrl(policy: Policy, ctx: RenderContext): string {
  return `${ctx.baseUrl}/policies/${encodeURIComponent(policy.definition.id)}`;
}

function criteriaMarkdown(policy: Policy, criteria: CriterionResult[], wording: Wording): string {
  const exclusions = new Set(policy.definition.exclusions ?? []);
  const { card } = wording;
  const lines = criteria.map((c) => {
    const status = (exclusions.has(c.id) ? wording.exclusionStatus : wording.criterionStatus)[
      c.status
    ];
    const evidence =
      c.evidence.length > 0
        ? fill(card.criterionEvidence, { evidence: c.evidence.map(escapeMarkdown).join(', ') })
        : '';
    const detail = c.detail ? fill(card.criterionDetail, { detail: escapeMarkdown(c.detail) }) : '';
    return fill(card.criterionLine, {
      id: c.id,
      status,
      text: escapeMarkdown(c.text),
      detail,
      evidence,
    });
  });
  return `${fill(card.criteriaHeading, { formula: policy.definition.formula })}\n\n${lines.join('\n')}`;
}

function nextStepsMarkdown(policy: Policy, criteria: CriterionResult[], wording: Wording): string {
  const exclusions = new Set(policy.definition.exclusions ?? []);
  const { card } = wording;
  const steps = criteria
    .filter(
      (c) =>
        policy.definition.nextSteps[c.id] &&
        (exclusions.has(c.id) ? c.status !== 'not-met' : c.status !== 'met'),
    )
    .map((c) => {
      const flagged = exclusions.has(c.id) ? c.status === 'met' : c.status === 'not-met';
      return fill(card.nextStepLine, {
        id: c.id,
        step: policy.definition.nextSteps[c.id] ?? '',
        blocksApproval: flagged ? card.blocksApproval : '',
      });
    });
  return steps.length > 0 ? `${card.nextStepsHeading}\n\n${steps.join('\n')}` : '';
}

function extensionOf(
  policy: Policy,
  outcome: PriorAuthCriteria['outcome'],
  criteria: CriterionResult[],
): { 'prior-auth-criteria': PriorAuthCriteria } {
  return {
    'prior-auth-criteria': {
      policy: policy.definition.id,
      outcome,
      criteria: criteria.map((c) => ({
        id: c.id,
        status: c.status,
        text: c.text,
        evidence: [...c.evidence],
      })),
    },
  };
}

function pickTemplate(policy: Policy, result: PolicyResult): CardTemplate | undefined {
  return policy.definition.cards.find((t) => result.conditions[t.when] === true);
}

const FALLBACK_INDICATOR: Record<Outcome, Indicator> = {
  'criteria-met': 'info',
  'criteria-not-met': 'warning',
  'documentation-needed': 'warning',
};

/** One card for a (draft order, policy) evaluation, from the policy's templates. */
export function renderCard(
  policy: Policy,
  result: PolicyResult,
  fields: Record<string, string>,
  matchedBy: 'code' | 'name',
  ctx: RenderContext,
  wording: Wording,
): Card {
  const drugName = fields.drugName || policy.definition.drug;
  const label = documentLabel(policy, wording);
  const values: Record<string, string> = {
    ...Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, escapeMarkdown(v)])),
    drugName: escapeMarkdown(drugName),
    policy: policy.definition.id,
    document: escapeMarkdown(label),
    drug: policy.definition.drug,
    outcome: result.outcome,
    criteria: criteriaMarkdown(policy, result.criteria, wording),
    nextSteps: nextStepsMarkdown(policy, result.criteria, wording),
  };
  const template = pickTemplate(policy, result);
  const summaryValues = { ...values, drugName };
  const summary = fill(template?.summary ?? wording.card.fallbackSummary, summaryValues);
  let detail = fill(template?.detail ?? wording.card.fallbackDetail, values);
  if (matchedBy === 'name') {
    detail = `${wording.card.nameMatchNotice}\n\n${detail}`;
  }
  return {
    uuid: randomUUID(),
    summary: cutSummary(summary),
    detail: detail.replace(/\n{3,}/g, '\n\n').trim(),
    indicator: template?.indicator ?? FALLBACK_INDICATOR[result.outcome],
    source: { label, url: policyUrl(policy, ctx), topic: CRD_TOPIC },
    links: [{ label: linkLabel(policy, wording), url: policyUrl(policy, ctx), type: 'absolute' }],
    extension: extensionOf(policy, result.outcome, result.criteria),
  };
}

/** The card for an order whose policy evaluation failed: the check could not be completed. */
export function renderErrorCard(
  policy: Policy,
  fields: Record<string, string>,
  ctx: RenderContext,
  wording: Wording,
): Card {
  const drugName = fields.drugName || policy.definition.drug;
  const label = documentLabel(policy, wording);
  const values = {
    drugName: escapeMarkdown(drugName),
    policy: policy.definition.id,
    drug: policy.definition.drug,
    document: escapeMarkdown(label),
  };
  return {
    uuid: randomUUID(),
    summary: cutSummary(fill(wording.errorCard.summary, { ...values, drugName })),
    detail: fill(wording.errorCard.detail, values),
    indicator: 'warning',
    source: { label, url: policyUrl(policy, ctx), topic: CRD_TOPIC },
    links: [{ label: linkLabel(policy, wording), url: policyUrl(policy, ctx), type: 'absolute' }],
    extension: extensionOf(
      policy,
      'error',
      policy.definition.criteria.map((id) => ({
        id,
        status: 'unknown',
        text: '',
        evidence: [],
        detail: '',
      })),
    ),
  };
}
