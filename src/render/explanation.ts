import type { Policy } from '../policy/load';
import type { PolicyResult } from '../policy/result';
import { escapeMarkdown } from './markdown';
import { fill, type Wording } from './wording';

/** What a card's texts are filled from: what decides, in words and by id, and the detail's lines. */
export interface CardExplanation {
  decides: string;
  decidedBy: string;
  explanation: string;
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

interface Parts {
  /** The ids the summary names. */
  ids: string[];
  decides: string;
  lines: string[];
  /** Paragraphs after the list. */
  extra: string[];
}

type Explainer = (policy: Policy, result: PolicyResult, wording: Wording, brief: boolean) => Parts;

/** In a brief detail, what the record showed is cut to this many characters. */
const BRIEF_DETAIL = 100;

/** What the record showed for a criterion, as markdown; in a brief detail, cut short. */
function detailOf(result: PolicyResult, id: string, brief = false): string {
  const text = result.criteria.find((c) => c.id === id)?.detail ?? '';
  const cut =
    brief && text.length > BRIEF_DETAIL
      ? `${text.slice(0, BRIEF_DETAIL - 1).replace(/[\uD800-\uDBFF]$/, '')}…`
      : text;
  return escapeMarkdown(cut);
}

const line = (policy: Policy, result: PolicyResult, wording: Wording, id: string, brief = false) =>
  fill(wording.card.explanationLine, {
    label: label(policy, id, wording),
    detail: detailOf(result, id, brief),
  });

/** Met: the inclusions of the approving branch, then the exclusions that do not apply. */
const approved: Explainer = (policy, result, wording, brief) => {
  const branch = result.explanation.approvingBranch ?? [];
  const ids = result.explanation.decidedBy;
  const ordered = [...ids, ...branch.filter((id) => !ids.includes(id))];
  return {
    ids,
    decides: '',
    lines: ordered.map((id) => line(policy, result, wording, id, brief)),
    extra: [],
  };
};

/** Not met: what decides, then any other criterion that blocks a branch. */
const blocked: Explainer = (policy, result, wording, brief) => {
  const { card } = wording;
  const ids = result.explanation.decidedBy;
  const words = policy.definition.criteriaWords;
  const others = (result.explanation.blockingCriteria ?? []).filter((id) => !ids.includes(id));
  const items = others.map((id) =>
    fill(card.alsoBlockingItem, {
      label: label(policy, id, wording),
      detail: detailOf(result, id, true),
    }),
  );
  return {
    ids,
    decides: joinWords(
      ids.map((id) => words[id]?.blocks ?? id),
      wording,
    ),
    lines: ids.map((id) => line(policy, result, wording, id, brief)),
    // A brief detail leaves out the other blocking criteria (they are in the extension).
    extra: items.length > 0 && !brief ? [fill(card.alsoBlocking, { items: items.join('; ') })] : [],
  };
};

/** Documentation needed: the smallest set to document, with what the record shows now; then the other sets. */
const missing: Explainer = (policy, result, wording, brief) => {
  const { card } = wording;
  const def = policy.definition;
  const [ids = [], ...rest] = result.explanation.missingSets ?? [];
  const lines = ids.map((id) => {
    const now = brief ? '' : detailOf(result, id);
    return fill(card.missingLine, {
      label: label(policy, id, wording),
      step: escapeMarkdown(def.nextSteps[id] ?? ''),
      found: now ? fill(card.missingFound, { detail: now }) : '',
    });
  });
  const sets = rest.map((set) =>
    joinWords(
      set.map((id) => label(policy, id, wording)),
      wording,
    ),
  );
  return {
    ids,
    decides: joinWords(
      ids.map((id) => def.criteriaWords[id]?.missing ?? id),
      wording,
    ),
    lines,
    extra: sets.length > 0 ? [fill(card.otherMissingSets, { sets: sets.join(card.or) })] : [],
  };
};

/**
 * Everything a card's texts are filled from, worked out once per result. `brief` (for a detail
 * that would be too long) leaves out what the record shows now for each criterion to document and
 * the other blocking criteria, and cuts what the record showed short.
 */
export function explainForCard(
  policy: Policy,
  result: PolicyResult,
  wording: Wording,
  brief = false,
): CardExplanation {
  const value = result.explanation.value;
  const explainer = value === true ? approved : value === false ? blocked : missing;
  const { ids, decides, lines, extra } = explainer(policy, result, wording, brief);
  return {
    decides,
    decidedBy: ids.map((id) => label(policy, id, wording)).join(', '),
    explanation: [lines.join('\n'), ...extra].join('\n\n'),
  };
}
