import type { Comparator, MrdReading } from './types';
import { joinQuotes, splitClauses } from './clauses';
import { DECIMAL_COMMA_PERCENT, percentsIn, type Percent } from './numbers';

/*
 * An MRD statement (data rules v2, rule 10). Within the clauses that speak about MRD: words of
 * absence ("negative", "not detected", "below the limit of detection") give 'negative'; one stated
 * percentage gives 'percent' when the words agree with it ("MRD negative (<0.01%)", "MRD positive
 * at 0.05%"); everything else is 'unreadable': a positive without a number, two different
 * percentages, words that contradict each other or the number, a level written as a power of ten
 * ("1.2 x 10^-3", "10-4"), a decimal comma, "see report". The sensitivity of the assay ("10^-4
 * sensitivity", "LOD 0.001%") is not a result and is set aside first. Numbers have bounded digit
 * counts and a look-behind at their start, so every pattern is linear.
 */

const B = '(?<![A-Za-z0-9])';
const E = '(?![A-Za-z0-9])';

const MENTION = new RegExp(`${B}(?:MRD|residual\\s+disease)${E}`, 'i');

const UNREADABLE = new RegExp(
  `${B}(?:see\\s+(?:the\\s+)?(?:\\w+\\s+){0,2}?report|pending|indeterminate|equivocal|inconclusive|` +
    'insufficient|suboptimal|hemodilut\\w*|failed|unable|qns|' +
    'not\\s+(?:tested|performed|assessed|evaluated|done|evaluable)|(?:cannot|could\\s+not)\\s+be)' +
    `${E}|\\?`,
  'i',
);

const NEGATIVE = new RegExp(
  `${B}not\\s+(?:been\\s+)?(?:detected|identified|seen|present|found|observed|detectable|positive)${E}|` +
    `${B}un-?detect(?:ed|able)${E}|` +
    `${B}no\\s+(?:evidence\\s+(?:of|for)\\s+)?(?:(?:minimal|measurable|molecular)\\s+)?(?:residual\\s+disease|MRD|disease)${E}` +
    `(?:\\s+(?:was\\s+|is\\s+)?(?:detected|identified|seen|found|observed)${E})?|` +
    `${B}no${E}(?:\\s+[\\w/-]+){0,4}?\\s+(?:detected|identified|seen|found|observed)${E}|` +
    `${B}below\\s+(?:the\\s+)?(?:(?:lower\\s+)?limits?\\s+of\\s+(?:detection|quantification|quantitation)|` +
    `(?:detection|quantification)\\s+(?:limit|threshold)|lod|loq|lloq|threshold\\s+of\\s+detection)${E}|` +
    `${B}(?:none\\s+detected|negative|neg|negativity|absent)${E}`,
  'gi',
);

const POSITIVE = new RegExp(
  `${B}(?:positive|pos|positivity|detected|detectable|present|identified|persistent|persists|persisting)${E}`,
  'i',
);

const NUM = '(?<![\\d.])(?:\\d{1,6}(?:\\.\\d{1,8})?|\\.\\d{1,8})';
/** A power of ten: "1.2 x 10^-3", "10^-4", "10-4", "10⁻⁴", "1e-4", "1 in 10,000"; `mantissa` captures. */
const power = (mantissa: boolean) =>
  `(?:(${mantissa ? '' : '?:'}${NUM})\\s*[x×*]\\s*)?(?<![\\d./-])10\\s*(?:\\^|\\*\\*)?\\s*\\(?\\s*[-−–]\\s*\\d{1,2}(?!\\d)\\s*\\)?|` +
  `(?<![\\d./-])10[⁻][⁰¹²³⁴⁵⁶⁷⁸⁹]{1,2}|${NUM}\\s*e\\s*[-−–]\\s*\\d{1,2}(?!\\d)|` +
  `${B}1\\s+(?:in|per)\\s+(?:\\d{1,3}(?:,\\d{3}){1,3}|\\d{4,9})(?!\\d)`;
const POWERS = new RegExp(power(true), 'gi');

const QUALIFIER =
  '(?:(?:analytical|analytic|assay)\\s+)?(?:sensitivity|lod|lloq|loq|' +
  '(?:lower\\s+)?limits?\\s+of\\s+(?:detection|quantification|quantitation)|detection\\s+limit|quantification\\s+limit)';
const SENSITIVITY = new RegExp(
  `${B}${QUALIFIER}${E}(?:\\s*(?:of|:|=|is|at|to|was)\\s*|\\s+)?(?:approximately\\s+|approx\\.?\\s*|~\\s*)?` +
    `(?:<=|<|≤)?\\s*(?:${power(false)}|${NUM}\\s*(?:%|percent${E})?)|` +
    `(?:${power(false)})\\s*(?:\\w+\\s+)?sensitivity${E}`,
  'gi',
);

/** A power of ten preceded by one of these is a bound ("< 10^-4", "negative at 10^-6"), not a level. */
const BOUND_BEFORE =
  /(?:<|≤|less\s+than|below|under|(?<![A-Za-z0-9])(?:at|of|level|threshold))\s*(?:a\s+|the\s+)?(?:level\s+of\s+)?\(?\s*$/i;
const LOOK_BACK = 30;

interface Evidence {
  negative: boolean;
  positive: boolean;
  /** a power of ten written as a bound: agrees only with a negative */
  bound: boolean;
  /** something that cannot be read: a level as a power of ten, a decimal comma, "see report" */
  unreadable: boolean;
  percents: Percent[];
}

function powersIn(text: string, ev: Evidence): string {
  return text.replace(POWERS, (match: string, mantissa: string | undefined, offset: number) => {
    const before = text.slice(Math.max(0, offset - LOOK_BACK), offset);
    const level = mantissa !== undefined && Number(mantissa) !== 1;
    if (!level && BOUND_BEFORE.test(before)) ev.bound = true;
    else ev.unreadable = true;
    return ' '.repeat(match.length);
  });
}

function evidenceOf(clause: string): Evidence {
  const ev: Evidence = {
    negative: false,
    positive: false,
    bound: false,
    unreadable: UNREADABLE.test(clause),
    percents: [],
  };
  const rest = clause.replace(NEGATIVE, () => {
    ev.negative = true;
    return ' ';
  });
  ev.positive = POSITIVE.test(rest);
  const numbers = powersIn(rest.replace(SENSITIVITY, ' '), ev);
  if (DECIMAL_COMMA_PERCENT.test(numbers)) ev.unreadable = true;
  ev.percents = percentsIn(numbers);
  return ev;
}

const said = (ev: Evidence) =>
  ev.negative || ev.positive || ev.bound || ev.unreadable || ev.percents.length > 0;

function merge(all: Evidence[]): Evidence {
  const percents = new Map<string, Percent>();
  for (const ev of all) for (const p of ev.percents) percents.set(`${p.comparator}${p.value}`, p);
  return {
    negative: all.some((ev) => ev.negative),
    positive: all.some((ev) => ev.positive),
    bound: all.some((ev) => ev.bound),
    unreadable: all.some((ev) => ev.unreadable),
    percents: [...percents.values()],
  };
}

type Verdict =
  | { call: 'negative' }
  | { call: 'percent'; value: number; comparator?: Comparator }
  | { call: 'unreadable' };

function verdict(ev: Evidence): Verdict {
  const unreadable: Verdict = { call: 'unreadable' };
  if (ev.unreadable || ev.percents.length > 1 || (ev.negative && ev.positive)) return unreadable;
  if (ev.bound && !ev.negative) return unreadable;
  const [p] = ev.percents;
  if (!p) return ev.negative ? { call: 'negative' } : unreadable;
  const below = p.comparator === '<' || p.comparator === '<=';
  if (ev.negative && !below && p.value !== 0) return unreadable;
  if (ev.positive && (below || p.value === 0)) return unreadable;
  return { call: 'percent', value: p.value, ...(p.comparator ? { comparator: p.comparator } : {}) };
}

/**
 * An MRD statement. requireMention=true (a longer report): only clauses that mention MRD /
 * minimal or measurable residual disease / residual disease count, undefined when none does.
 * requireMention=false (the value of a test coded as MRD): the whole text is the result; empty
 * text -> undefined.
 */
export function readMrd(text: string, requireMention: boolean): MrdReading | undefined {
  const whole = text.trim();
  if (whole === '') return undefined;
  const clauses = splitClauses(text).filter((c) => !requireMention || MENTION.test(c));
  if (clauses.length === 0)
    return requireMention ? undefined : { call: 'unreadable', quote: whole };
  const evidence = clauses.map(evidenceOf);
  const deciding = clauses.filter((_, i) => said(evidence[i]!));
  const quote = requireMention ? joinQuotes(deciding.length > 0 ? deciding : clauses) : whole;
  return { ...verdict(merge(evidence)), quote };
}
