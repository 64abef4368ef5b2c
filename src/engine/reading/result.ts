import type { Call, Kind, TextReading } from './types';
import { DECIMAL_COMMA_PERCENT, expressionLevel, percentsIn } from './numbers';

/*
 * The bare result of a test dedicated to one marker (data rules v2, rules 8 and 9): "Positive",
 * "Not detected", "Rearranged", "85% of blasts", "see report". Negation phrases are read first and
 * taken out, so "not detected" never counts as "detected"; what is left must not affirm. Any
 * hedging word ("dim", "partial", "pending", "equivocal", "?") makes the result ambiguous.
 */

const B = '(?<![A-Za-z0-9])';
const E = '(?![A-Za-z0-9])';

const HEDGE_WORDS =
  'dim(?:ly)?|weak(?:ly)?|partial(?:ly)?|heterogeneous(?:ly)?|variabl[ey]|focal(?:ly)?|subset|' +
  'equivocal|indeterminate|inconclusive|borderline|' +
  'not\\s+(?:tested|performed|assessed|evaluated|done|evaluable|reported)|pending|' +
  'see\\s+(?:the\\s+)?(?:\\w+\\s+){0,2}?report|(?:cannot|could\\s+not)\\s+be\\s+(?:assessed|evaluated|determined)|' +
  'insufficient|qns|failed|not\\s+negative|possible|possibly|probable|suspected|suspicious|questionable';

const AMBIGUOUS = new RegExp(`${B}(?:${HEDGE_WORDS})${E}|\\?|±|\\+\\s*\\/\\s*[-−–]`, 'i');

const NEGATION =
  `${B}not\\s+(?:been\\s+)?(?:detected|expressed|identified|seen|present|found|observed|rearranged|positive)${E}|` +
  `${B}no${E}(?:\\s+[\\w/:-]+){0,4}?\\s+(?:detected|identified|seen|found|present|observed)${E}|` +
  `${B}no\\s+(?:evidence\\s+(?:of|for)\\s+)?(?:\\w+\\s+)?(?:rearrangements?|fusions?|translocations?|expression|split\\s+signals?)${E}|` +
  `${B}(?:none\\s+detected|negative|neg|negativity|absent|absence|un-?detect(?:ed|able)|lost|loss)${E}`;

const NEGATIONS: Record<Kind, RegExp> = {
  antigen: new RegExp(NEGATION, 'gi'),
  rearrangement: new RegExp(`${NEGATION}|${B}(?:germline|intact|normal)${E}`, 'gi'),
};

const AFFIRMATIONS: Record<Kind, RegExp> = {
  antigen: new RegExp(
    `${B}(?:positive|pos|positivity|detected|expressed|expressing|present|identified|bright(?:ly)?)${E}`,
    'i',
  ),
  rearrangement: new RegExp(
    `${B}(?:positive|pos|detected|present|identified|rearranged|split\\s+signals?)${E}`,
    'i',
  ),
};

/** A sign that is the result itself: "+", "-", "−", "(+)", "- (<1%)". */
const SIGN = /^[\s(]*(?:(\+)|[-−–](?![A-Za-z0-9]))/;

/** What percentages of blasts say: 'high' affirms, 'low' fits a negative, 'ambiguous' spoils. */
function percentEvidence(rest: string): 'high' | 'low' | 'ambiguous' | undefined {
  if (DECIMAL_COMMA_PERCENT.test(rest)) return 'ambiguous';
  const levels = new Set(percentsIn(rest).map(expressionLevel));
  if (levels.has('unsure') || (levels.has('high') && levels.has('low'))) return 'ambiguous';
  if (levels.has('high')) return 'high';
  return levels.has('low') ? 'low' : undefined;
}

/** The call of a result text; undefined when it has no readable result word at all. */
export function scoreResult(text: string, kind: Kind): Call | undefined {
  if (AMBIGUOUS.test(text)) return 'ambiguous';
  let neg = false;
  const rest = text.replace(NEGATIONS[kind], () => {
    neg = true;
    return ' ';
  });
  let pos = AFFIRMATIONS[kind].test(rest);
  const sign = SIGN.exec(text);
  if (sign) {
    if (sign[1]) pos = true;
    else neg = true;
  }
  if (kind === 'antigen') {
    const level = percentEvidence(rest);
    if (level === 'ambiguous') return 'ambiguous';
    if (level === 'high') {
      if (neg) return 'ambiguous';
      pos = true;
    }
    if (level === 'low' && (pos || !neg)) return 'ambiguous';
  }
  if (pos && neg) return 'ambiguous';
  if (pos) return 'positive';
  return neg ? 'negative' : undefined;
}

/**
 * The bare result of a test dedicated to one marker ("Positive", "Not detected", "Rearranged",
 * "85% of blasts", "see report"): undefined only for empty/whitespace text; text with no readable
 * result word is 'ambiguous'.
 */
export function readResult(text: string, kind: Kind): TextReading | undefined {
  const quote = text.trim();
  if (quote === '') return undefined;
  return { call: scoreResult(quote, kind) ?? 'ambiguous', quote };
}
