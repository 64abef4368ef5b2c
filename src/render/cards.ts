import { randomUUID } from 'node:crypto';
import type { Card, Indicator } from '../cds/types';
import type { CardTemplate } from '../policy/definition';
import type { Policy } from '../policy/load';
import type { CriterionResult, Outcome, PolicyResult } from '../policy/result';
import { escapeMarkdown } from './markdown';

export interface PriorAuthCriteria {
  policy: string;
  outcome: Outcome | 'error';
  criteria: { id: string; status: CriterionResult['status']; text: string; evidence: string[] }[];
}

/** Where the service is reachable, for absolute links to its policy pages. */
export interface RenderContext {
  baseUrl: string;
}

const CRD_TOPIC = { system: 'http://hl7.org/fhir/us/davinci-crd/CodeSystem/temp', code: 'coverage-info', display: 'Coverage Information' };
const STATUS_WORDS: Record<CriterionResult['status'], string> = { met: 'MET', 'not-met': 'NOT MET', unknown: 'NOT DOCUMENTED' };
const EXCLUSION_WORDS: Record<CriterionResult['status'], string> = { met: 'APPLIES', 'not-met': 'DOES NOT APPLY', unknown: 'NOT DOCUMENTED' };
const SUMMARY_MAX = 140;

function fill(template: string, values: Record<string, string>): string {
  return template.replace(/\$\{([^}]*)\}/g, (_m, name: string) => values[name] ?? '');
}

function cutSummary(s: string): string {
  const one = s.replace(/\s+/g, ' ').trim();
  return one.length <= SUMMARY_MAX ? one : `${one.slice(0, SUMMARY_MAX - 1).trimEnd()}…`;
}

function documentLabel(policy: Policy): string {
  const d = policy.definition.document;
  return `${d.number} ${d.title} (published ${d.published}${d.lastReviewed ? `, reviewed ${d.lastReviewed}` : ''})`;
}

function policyUrl(policy: Policy, ctx: RenderContext): string {
  return `${ctx.baseUrl}/policies/${encodeURIComponent(policy.definition.id)}`;
}

function criteriaMarkdown(policy: Policy, criteria: CriterionResult[]): string {
  const exclusions = new Set(policy.definition.exclusions ?? []);
  const lines = criteria.map((c) => {
    const words = (exclusions.has(c.id) ? EXCLUSION_WORDS : STATUS_WORDS)[c.status];
    const evidence = c.evidence.length > 0 ? ` Evidence: ${c.evidence.map(escapeMarkdown).join(', ')}.` : '';
    const detail = c.detail ? ` ${escapeMarkdown(c.detail)}` : '';
    return `- **${c.id}. ${words}** — ${escapeMarkdown(c.text)}.${detail}${evidence}`;
  });
  return `**Criteria** (approvable when: \`${policy.definition.formula}\`)\n\n${lines.join('\n')}`;
}

function nextStepsMarkdown(policy: Policy, criteria: CriterionResult[]): string {
  const exclusions = new Set(policy.definition.exclusions ?? []);
  const steps = criteria
    .filter((c) => policy.definition.nextSteps[c.id] && (exclusions.has(c.id) ? c.status !== 'not-met' : c.status !== 'met'))
    .map((c) => {
      const flagged = exclusions.has(c.id) ? c.status === 'met' : c.status === 'not-met';
      return `- **${c.id}**: ${policy.definition.nextSteps[c.id]}${flagged ? ' (the record says this blocks approval: check it is right)' : ''}`;
    });
  return steps.length > 0 ? `**What to document next**\n\n${steps.join('\n')}` : '';
}

function extensionOf(policy: Policy, outcome: PriorAuthCriteria['outcome'], criteria: CriterionResult[]): { 'prior-auth-criteria': PriorAuthCriteria } {
  return {
    'prior-auth-criteria': {
      policy: policy.definition.id,
      outcome,
      criteria: criteria.map((c) => ({ id: c.id, status: c.status, text: c.text, evidence: [...c.evidence] })),
    },
  };
}

function pickTemplate(policy: Policy, result: PolicyResult): CardTemplate | undefined {
  return policy.definition.cards.find((t) => result.conditions[t.when] === true);
}

const FALLBACK_INDICATOR: Record<Outcome, Indicator> = { 'criteria-met': 'info', 'criteria-not-met': 'warning', 'documentation-needed': 'warning' };

/** One card for a (draft order, policy) evaluation, from the policy's templates. */
export function renderCard(policy: Policy, result: PolicyResult, fields: Record<string, string>, matchedBy: 'code' | 'name', ctx: RenderContext): Card {
  const drugName = fields.drugName || policy.definition.drug;
  const values: Record<string, string> = {
    ...Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, escapeMarkdown(v)])),
    drugName: escapeMarkdown(drugName),
    policy: policy.definition.id,
    document: escapeMarkdown(documentLabel(policy)),
    drug: policy.definition.drug,
    outcome: result.outcome,
    criteria: criteriaMarkdown(policy, result.criteria),
    nextSteps: nextStepsMarkdown(policy, result.criteria),
  };
  const template = pickTemplate(policy, result);
  const summaryValues = { ...values, drugName };
  const summary = template ? fill(template.summary, summaryValues) : `${drugName}: ${policy.definition.id} ${result.outcome}`;
  let detail = template ? fill(template.detail, values) : `${values.criteria}\n\n${values.nextSteps}`;
  if (matchedBy === 'name') {
    detail = `*This order was recognised by the drug name only (no known RxNorm, NDC or HCPCS code).*\n\n${detail}`;
  }
  return {
    uuid: randomUUID(),
    summary: cutSummary(summary),
    detail: detail.replace(/\n{3,}/g, '\n\n').trim(),
    indicator: template?.indicator ?? FALLBACK_INDICATOR[result.outcome],
    source: { label: documentLabel(policy), url: policyUrl(policy, ctx), topic: CRD_TOPIC },
    links: [{ label: `${policy.definition.document.number} criteria`, url: policyUrl(policy, ctx), type: 'absolute' }],
    extension: extensionOf(policy, result.outcome, result.criteria),
  };
}

/** The card for an order whose policy evaluation failed: the check could not be completed. */
export function renderErrorCard(policy: Policy, fields: Record<string, string>, ctx: RenderContext): Card {
  const drugName = fields.drugName || policy.definition.drug;
  return {
    uuid: randomUUID(),
    summary: cutSummary(`${drugName}: the ${policy.definition.id} prior-auth check could not be completed`),
    detail:
      `The service could not evaluate the clinical criteria of **${escapeMarkdown(documentLabel(policy))}** for this order. ` +
      'Check the criteria by hand against the policy before requesting prior authorization.',
    indicator: 'warning',
    source: { label: documentLabel(policy), url: policyUrl(policy, ctx), topic: CRD_TOPIC },
    links: [{ label: `${policy.definition.document.number} criteria`, url: policyUrl(policy, ctx), type: 'absolute' }],
    extension: extensionOf(
      policy,
      'error',
      policy.definition.criteria.map((id) => ({ id, status: 'unknown', text: '', evidence: [], detail: '' })),
    ),
  };
}
