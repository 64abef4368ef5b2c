import { randomUUID } from 'node:crypto';
import type { Card, Coding, Indicator } from '../cds/types';
import type { CardTemplate } from '../policy/definition';
import type { Policy } from '../policy/load';
import type { Outcome, PolicyResult } from '../policy/result';
import { explainForCard } from './explanation';
import { extensionOf } from './extension';
import { escapeMarkdown } from './markdown';
import { fill, type Wording } from './wording';

/** Where the service is reachable, for absolute links to its policy pages. */
export interface RenderContext {
  baseUrl: string;
  /** A new card uuid (the service's id source; default a random UUID). */
  newId?: () => string;
}

const CRD_TOPIC = {
  system: 'http://hl7.org/fhir/us/davinci-crd/CodeSystem/temp',
  code: 'coverage-info',
  display: 'Coverage Information',
};
/** A card's detail is read in seconds: past this, the notes on what the record shows now are left out. */
const DETAIL_MAX = 700;
/** CDS Hooks: a summary is under 140 characters. Counted in UTF-16 units (never fewer than characters). */
const SUMMARY_MAX = 139;

/** The summary on one line, cut to SUMMARY_MAX with an ellipsis, never inside a surrogate pair. */
function cutSummary(s: string): string {
  const one = oneLine(s);
  if (one.length <= SUMMARY_MAX) return one;
  const cut = one.slice(0, SUMMARY_MAX - 1).replace(/[\uD800-\uDBFF]$/, '');
  return `${cut.trimEnd()}…`;
}

/** Bidirectional-text controls: record text must not reorder what a summary shows. */
const BIDI = /[\u200E\u200F\u202A-\u202E\u2066-\u2069]/g;

const oneLine = (s: string) => s.replace(BIDI, '').replace(/\s+/g, ' ').trim();

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

/** The page of the policy version evaluated (cards' source.url, CRD 2.2's policy-link). */
export function policyPageUrl(policy: Policy, ctx: RenderContext): string {
  // The page of the version evaluated (the one in force on the order's date).
  return `${ctx.baseUrl}/policies/${encodeURIComponent(policy.definition.id)}/versions/${encodeURIComponent(policy.version)}`;
}

function pickTemplate(policy: Policy, result: PolicyResult): CardTemplate | undefined {
  return policy.definition.cards.find((t) => result.conditions[t.when] === true);
}

const FALLBACK_INDICATOR: Record<Outcome, Indicator> = {
  'criteria-met': 'info',
  'criteria-not-met': 'warning',
  'documentation-needed': 'warning',
};

/** The reasons a clinician may give for going on without acting on a warning card. */
function overrideReasons(wording: Wording): Coding[] {
  return wording.overrideReasons.codes.map((r) => ({
    system: wording.overrideReasons.system,
    code: r.code,
    display: r.display,
  }));
}

/** Record text in a summary: one line, no markdown (a summary is plain text). */
const plain = (s: string) => oneLine(s);

/** The summary, under 140 characters: when the words of what decides make it too long, the ids (`byId`). */
function summaryOf(template: string, values: Record<string, string>): string {
  const summary = fill(template, values);
  if (oneLine(summary).length <= SUMMARY_MAX || !values.decides) return cutSummary(summary);
  return cutSummary(fill(template, { ...values, decides: values.byId ?? '' }));
}

function linksOf(policy: Policy, ctx: RenderContext, wording: Wording): NonNullable<Card['links']> {
  const label = fill(wording.card.linkLabel, { documentNumber: policy.definition.document.number });
  return [{ label, url: policyPageUrl(policy, ctx), type: 'absolute' }];
}

/** One card for a (draft order, policy) evaluation, from the policy's templates. */
export function renderCard(
  policy: Policy,
  result: PolicyResult,
  fields: Record<string, string>,
  matchedBy: 'code' | 'name',
  ctx: RenderContext,
  wording: Wording,
): Card {
  const def = policy.definition;
  const label = documentLabel(policy, wording);
  const explained = explainForCard(policy, result, wording);
  const notes = (def.notes ?? []).map((n) => fill(wording.card.note, { note: escapeMarkdown(n) }));
  const values: Record<string, string> = {
    ...Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, escapeMarkdown(v)])),
    drugName: escapeMarkdown(fields.drugName || def.drug),
    policy: def.id,
    document: escapeMarkdown(label),
    drug: def.drug,
    shortName: def.shortName ?? def.drug,
    outcome: result.outcome,
    decides: explained.decides,
    decidedBy: explained.decidedBy,
    explanation: explained.explanation,
    notes: notes.join('\n\n'),
  };
  const template = pickTemplate(policy, result);
  const summary = summaryOf(template?.summary ?? wording.card.fallbackSummary, {
    ...values,
    ...Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, plain(v)])),
    drugName: plain(fields.drugName || def.drug),
    byId: fill(wording.card.criteriaById, { ids: explained.decidedBy }),
  });
  const detailOf = (v: Record<string, string>) => {
    const text = fill(template?.detail ?? wording.card.fallbackDetail, v);
    const noticed = matchedBy === 'name' ? `${wording.card.nameMatchNotice}\n\n${text}` : text;
    return noticed.replace(/\n{3,}/g, '\n\n').trim();
  };
  let detail = detailOf(values);
  if (detail.length > DETAIL_MAX)
    detail = detailOf({
      ...values,
      explanation: explainForCard(policy, result, wording, true).explanation,
    });
  const indicator = template?.indicator ?? FALLBACK_INDICATOR[result.outcome];
  const instructions = template?.type === 'instructions';
  return {
    uuid: (ctx.newId ?? randomUUID)(),
    summary,
    detail,
    indicator,
    // Da Vinci CRD: an Instructions card is text only (no links, no suggestions).
    ...(instructions
      ? { source: { label, topic: CRD_TOPIC } }
      : {
          source: { label, url: policyPageUrl(policy, ctx), topic: CRD_TOPIC },
          links: linksOf(policy, ctx, wording),
        }),
    ...(indicator === 'info' ? {} : { overrideReasons: overrideReasons(wording) }),
    extension: extensionOf(policy, result),
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
    shortName: policy.definition.shortName ?? policy.definition.drug,
    drugName: escapeMarkdown(drugName),
    policy: policy.definition.id,
    drug: policy.definition.drug,
    document: escapeMarkdown(label),
  };
  return {
    uuid: (ctx.newId ?? randomUUID)(),
    summary: cutSummary(fill(wording.errorCard.summary, { ...values, drugName: plain(drugName) })),
    detail: fill(wording.errorCard.detail, values),
    indicator: 'warning',
    source: { label, url: policyPageUrl(policy, ctx), topic: CRD_TOPIC },
    links: linksOf(policy, ctx, wording),
    overrideReasons: overrideReasons(wording),
    extension: extensionOf(policy, {
      outcome: 'error',
      conditions: {},
      criteria: policy.definition.criteria.map((id) => ({
        id,
        status: 'unknown',
        text: policy.definition.criteriaWords[id]?.text ?? '',
        evidence: [],
        detail: '',
      })),
    }),
  };
}
