import { randomUUID } from 'node:crypto';
import type { Card, Coding, Indicator } from '../cds/types';
import type { CardTemplate } from '../policy/definition';
import { statusAs, type ReadStatus, type Role } from '../policy/formula';
import type { Policy } from '../policy/load';
import type { CriterionResult, Outcome, PolicyResult } from '../policy/result';
import { escapeMarkdown } from './markdown';
import { fill, type Wording } from './wording';

/** The `prior-auth-criteria` card extension (its JSON shape is documented in the README). */
export interface PriorAuthCriteria {
  policy: string;
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
  const one = oneLine(s);
  if (one.length <= SUMMARY_MAX) return one;
  const cut = one.slice(0, SUMMARY_MAX - 1).replace(/[\uD800-\uDBFF]$/, '');
  return `${cut.trimEnd()}…`;
}

const oneLine = (s: string) => s.replace(/\s+/g, ' ').trim();

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

function policyUrl(policy: Policy, ctx: RenderContext): string {
  return `${ctx.baseUrl}/policies/${encodeURIComponent(policy.definition.id)}`;
}

/** "A", "A and B", "A, B and C". */
function joinWords(items: string[], wording: Wording): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')}${wording.card.and}${items[items.length - 1]}`;
}

/** An id as a card names it: "IV", or "exclusion X.I". */
function label(policy: Policy, id: string, wording: Wording): string {
  return policy.formula.roles[id] === 'exclusion' ? fill(wording.card.exclusionLabel, { id }) : id;
}

/** Everything a card's texts are filled from, worked out once per result. */
function explain(policy: Policy, result: PolicyResult, wording: Wording) {
  const def = policy.definition;
  const { explanation } = result;
  const byId = new Map(result.criteria.map((c) => [c.id, c]));
  const detailOf = (id: string) => escapeMarkdown(byId.get(id)?.detail ?? '');
  const words = (id: string) => def.criteriaWords[id];
  const { card } = wording;
  let decides: string;
  let decidedBy: string[];
  let lines: string[];
  /** Paragraphs after the list. */
  const extra: string[] = [];
  if (explanation.value === true) {
    // The summary names the inclusions that approve; an exclusion that does not apply is evidence.
    decidedBy = explanation.decidedBy.filter((id) => policy.formula.roles[id] === 'inclusion');
    decides = '';
    const inclusionsFirst = [
      ...decidedBy,
      ...explanation.decidedBy.filter((id) => !decidedBy.includes(id)),
    ];
    lines = inclusionsFirst.map((id) =>
      fill(card.explanationLine, { label: label(policy, id, wording), detail: detailOf(id) }),
    );
  } else if (explanation.value === false) {
    decidedBy = explanation.decidedBy;
    decides = joinWords(
      decidedBy.map((id) => words(id)?.blocks ?? id),
      wording,
    );
    lines = decidedBy.map((id) =>
      fill(card.explanationLine, { label: label(policy, id, wording), detail: detailOf(id) }),
    );
    const others = (explanation.blockingCriteria ?? []).filter((id) => !decidedBy.includes(id));
    if (others.length > 0)
      extra.push(
        fill(card.alsoBlocking, {
          items: others
            .map((id) =>
              fill(card.alsoBlockingItem, {
                label: label(policy, id, wording),
                detail: detailOf(id),
              }),
            )
            .join(' '),
        }),
      );
  } else {
    const [first = [], ...rest] = explanation.missingSets ?? [];
    decidedBy = first;
    decides = joinWords(
      first.map((id) => words(id)?.missing ?? id),
      wording,
    );
    lines = first.map((id) =>
      fill(card.missingLine, {
        label: label(policy, id, wording),
        step: escapeMarkdown(def.nextSteps[id] ?? ''),
        found: detailOf(id) ? fill(card.missingFound, { detail: detailOf(id) }) : '',
      }),
    );
    if (rest.length > 0)
      extra.push(
        fill(card.otherMissingSets, {
          sets: rest
            .map((set) =>
              joinWords(
                set.map((id) => label(policy, id, wording)),
                wording,
              ),
            )
            .join(card.or),
        }),
      );
  }
  return {
    decides,
    decidedBy: decidedBy.map((id) => label(policy, id, wording)).join(', '),
    explanation: [lines.join('\n'), ...extra].join('\n\n'),
  };
}

function extensionOf(
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
  const explained = explain(policy, result, wording);
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
  const summaryValues = {
    ...values,
    ...Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, plain(v)])),
    drugName: plain(fields.drugName || def.drug),
  };
  let summary = fill(template?.summary ?? wording.card.fallbackSummary, summaryValues);
  if (oneLine(summary).length > SUMMARY_MAX && explained.decides)
    // Too long with the words: name the criteria by id instead.
    summary = fill(template?.summary ?? wording.card.fallbackSummary, {
      ...summaryValues,
      decides: fill(wording.card.criteriaById, { ids: explained.decidedBy }),
    });
  let detail = fill(template?.detail ?? wording.card.fallbackDetail, values);
  if (matchedBy === 'name') detail = `${wording.card.nameMatchNotice}\n\n${detail}`;
  const indicator = template?.indicator ?? FALLBACK_INDICATOR[result.outcome];
  const instructions = template?.type === 'instructions';
  return {
    uuid: randomUUID(),
    summary: cutSummary(summary),
    detail: detail.replace(/\n{3,}/g, '\n\n').trim(),
    indicator,
    // Da Vinci CRD: an Instructions card is text only (no links, no suggestions).
    source: instructions
      ? { label, topic: CRD_TOPIC }
      : { label, url: policyUrl(policy, ctx), topic: CRD_TOPIC },
    ...(instructions
      ? {}
      : {
          links: [
            {
              label: fill(wording.card.linkLabel, { documentNumber: def.document.number }),
              url: policyUrl(policy, ctx),
              type: 'absolute' as const,
            },
          ],
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
    drugName: escapeMarkdown(drugName),
    policy: policy.definition.id,
    drug: policy.definition.drug,
    document: escapeMarkdown(label),
  };
  return {
    uuid: randomUUID(),
    summary: cutSummary(fill(wording.errorCard.summary, { ...values, drugName: plain(drugName) })),
    detail: fill(wording.errorCard.detail, values),
    indicator: 'warning',
    source: { label, url: policyUrl(policy, ctx), topic: CRD_TOPIC },
    links: [
      {
        label: fill(wording.card.linkLabel, { documentNumber: policy.definition.document.number }),
        url: policyUrl(policy, ctx),
        type: 'absolute',
      },
    ],
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
