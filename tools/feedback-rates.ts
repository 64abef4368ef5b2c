/**
 * For policy owners: how often cards are accepted or overridden, per policy and decision outcome.
 *
 *   npm run -s feedback-rates [-- --json]
 *
 * Reads the decision log (DECISION_LOG) and the feedback log (FEEDBACK_LOG), the files the
 * service writes. Only the latest feedback on a card counts (by outcomeTimestamp, then the order
 * received): a card may get feedback twice. Rates are given of the cards with feedback and of the
 * cards returned. Feedback on a card the decision log does not hold is counted under the policy
 * stored with the feedback, else under "(unknown card)".
 */
import { JsonLinesFile } from '../src/adapters/file/json-lines';
import { readConfig } from '../src/platform/config';

/** The fields of a decision-log line the counts use. */
export interface DecisionLine {
  card: string;
  policy: string;
  outcome: string;
}

/** The fields of a feedback-log line the counts use. */
export interface FeedbackLine {
  card: string;
  outcome: 'accepted' | 'overridden';
  outcomeTimestamp: string;
  overrideReason?: { reason?: { code?: string } };
  policy?: string | null;
  decisionOutcome?: string | null;
}

export interface ReasonCount {
  code: string;
  count: number;
}

/** The counts of one (policy, decision outcome). Rates are fractions (0..1), null when undefined. */
export interface RateRow {
  policy: string;
  decisionOutcome: string;
  cardsReturned: number;
  /** Cards with feedback (the latest item per card). */
  feedback: number;
  accepted: number;
  overridden: number;
  acceptanceRate: number | null;
  overrideRate: number | null;
  acceptanceRateOfReturned: number | null;
  overrideRateOfReturned: number | null;
  topOverrideReasons: ReasonCount[];
}

export interface RateReport {
  rows: RateRow[];
  /** Feedback items read, and how many were superseded by later feedback on the same card. */
  feedbackItems: number;
  supersededItems: number;
}

export const UNKNOWN_POLICY = '(unknown card)';
export const NO_REASON = '(no reason code)';
const TOP_REASONS = 5;
const OUTCOME_ORDER = ['criteria-met', 'criteria-not-met', 'documentation-needed', 'error'];

const ratio = (n: number, of: number) => (of === 0 ? null : Math.round((n / of) * 10000) / 10000);

/** The latest feedback item per card: by outcomeTimestamp, then the later one in the log. */
function latestPerCard(feedback: readonly FeedbackLine[]): Map<string, FeedbackLine> {
  const latest = new Map<string, FeedbackLine>();
  for (const item of feedback) {
    const seen = latest.get(item.card);
    if (!seen || Date.parse(item.outcomeTimestamp) >= Date.parse(seen.outcomeTimestamp))
      latest.set(item.card, item);
  }
  return latest;
}

interface Tally {
  policy: string;
  decisionOutcome: string;
  cards: Set<string>;
  accepted: number;
  overridden: number;
  reasons: Map<string, number>;
}

function rowOf(t: Tally): RateRow {
  const feedback = t.accepted + t.overridden;
  const returned = t.cards.size;
  return {
    policy: t.policy,
    decisionOutcome: t.decisionOutcome,
    cardsReturned: returned,
    feedback,
    accepted: t.accepted,
    overridden: t.overridden,
    acceptanceRate: ratio(t.accepted, feedback),
    overrideRate: ratio(t.overridden, feedback),
    acceptanceRateOfReturned: ratio(t.accepted, returned),
    overrideRateOfReturned: ratio(t.overridden, returned),
    topOverrideReasons: [...t.reasons]
      .map(([code, count]) => ({ code, count }))
      .sort((a, b) => b.count - a.count || a.code.localeCompare(b.code))
      .slice(0, TOP_REASONS),
  };
}

const outcomeRank = (o: string) => {
  const i = OUTCOME_ORDER.indexOf(o);
  return i < 0 ? OUTCOME_ORDER.length : i;
};

/** Acceptance and override counts per policy and decision outcome. */
export function countRates(
  decisions: readonly DecisionLine[],
  feedback: readonly FeedbackLine[],
): RateReport {
  // Lines that are not records of their kind (a hand-edited or damaged file) are left out.
  const isObject = (v: unknown) => typeof v === 'object' && v !== null && !Array.isArray(v);
  decisions = decisions.filter(
    (d) => isObject(d) && typeof d.card === 'string' && typeof d.policy === 'string',
  );
  feedback = feedback.filter(
    (f) =>
      isObject(f) &&
      typeof f.card === 'string' &&
      (f.outcome === 'accepted' || f.outcome === 'overridden'),
  );
  const byCard = new Map(decisions.map((d) => [d.card, d]));
  const tallies = new Map<string, Tally>();
  const tally = (policy: string, decisionOutcome: string): Tally => {
    const key = JSON.stringify([policy, decisionOutcome]);
    let t = tallies.get(key);
    if (!t) {
      t = {
        policy,
        decisionOutcome,
        cards: new Set(),
        accepted: 0,
        overridden: 0,
        reasons: new Map(),
      };
      tallies.set(key, t);
    }
    return t;
  };
  for (const d of byCard.values()) tally(d.policy, d.outcome).cards.add(d.card);
  const latest = latestPerCard(feedback);
  for (const item of latest.values()) {
    const d = byCard.get(item.card);
    const t = d
      ? tally(d.policy, d.outcome)
      : tally(item.policy ?? UNKNOWN_POLICY, item.decisionOutcome ?? '-');
    if (item.outcome === 'accepted') t.accepted++;
    else {
      t.overridden++;
      const code = item.overrideReason?.reason?.code ?? NO_REASON;
      t.reasons.set(code, (t.reasons.get(code) ?? 0) + 1);
    }
  }
  const rows = [...tallies.values()]
    .map(rowOf)
    .sort(
      (a, b) =>
        Number(a.policy === UNKNOWN_POLICY) - Number(b.policy === UNKNOWN_POLICY) ||
        a.policy.localeCompare(b.policy) ||
        outcomeRank(a.decisionOutcome) - outcomeRank(b.decisionOutcome) ||
        a.decisionOutcome.localeCompare(b.decisionOutcome),
    );
  return { rows, feedbackItems: feedback.length, supersededItems: feedback.length - latest.size };
}

const percent = (r: number | null) => (r === null ? '-' : `${(r * 100).toFixed(1)}%`);

/** The report as a plain-text table. */
export function formatRates(report: RateReport): string {
  const header = [
    'policy',
    'decision outcome',
    'cards',
    'feedback',
    'accepted',
    'overridden',
    'accepted/feedback',
    'overridden/feedback',
    'accepted/cards',
    'overridden/cards',
    'top override reasons',
  ];
  const rows = report.rows.map((r) => [
    r.policy,
    r.decisionOutcome,
    String(r.cardsReturned),
    String(r.feedback),
    String(r.accepted),
    String(r.overridden),
    percent(r.acceptanceRate),
    percent(r.overrideRate),
    percent(r.acceptanceRateOfReturned),
    percent(r.overrideRateOfReturned),
    r.topOverrideReasons.map((x) => `${x.code} (${x.count})`).join(', ') || '-',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i >= 2 && i <= 9 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  const table = [line(header), ...rows.map(line)];
  if (rows.length === 0) table.push('(no decisions and no feedback yet)');
  const note = `${report.feedbackItems} feedback item(s) read; ${report.supersededItems} superseded by later feedback on the same card.`;
  return [...table, '', note].join('\n') + '\n';
}

async function readLines<T>(file: string): Promise<T[]> {
  return (await new JsonLinesFile(file).readAll()) as T[];
}

async function main(argv: string[]): Promise<void> {
  const unknown = argv.filter((a) => a !== '--json');
  if (unknown.length > 0)
    throw new Error(`unknown argument ${unknown[0]}; usage: npm run feedback-rates [-- --json]`);
  const config = readConfig();
  const report = countRates(
    await readLines<DecisionLine>(config.decisionLog),
    await readLines<FeedbackLine>(config.feedbackLog),
  );
  process.stdout.write(
    argv.includes('--json') ? JSON.stringify(report, null, 2) + '\n' : formatRates(report),
  );
}

if (require.main === module)
  main(process.argv.slice(2)).catch((e: unknown) => {
    console.error(`feedback-rates: ${(e as Error).message}`);
    process.exit(2);
  });
