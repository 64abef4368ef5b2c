import type { Comparator } from './types';

/*
 * Percentages with an optional comparator ("0.3%", "< 0.01 %", "≤ 0.09%", "less than 0.01%").
 * A decimal comma ("0,05 %") is never read as a number: "0,05" may be a European decimal (0.05)
 * or a list ("0, 05"), and reading the wrong one would be a wrong result, so callers treat it as
 * unreadable. Patterns are compiled once; the number and its comparator do not overlap, so
 * matching is linear.
 */

export interface Percent {
  value: number;
  comparator?: Comparator;
}

const WORD = '(?<![A-Za-z])';
const COMPARATOR =
  '(<=|=<|>=|=>|≤|≥|<|>|' +
  `${WORD}(?:less\\s+than\\s+or\\s+equal\\s+to|greater\\s+than\\s+or\\s+equal\\s+to|less\\s+than|` +
  'lower\\s+than|below|under|greater\\s+than|more\\s+than|higher\\s+than|above|over|' +
  'at\\s+least|at\\s+most|up\\s+to))';

const PERCENT = new RegExp(
  `(?:${COMPARATOR}\\s*)?(?<![\\d.,])(\\d+(?:\\.\\d+)?|\\.\\d+)\\s*(?:%|percent(?![a-z]))`,
  'gi',
);

/** A percentage written with a decimal comma, which is not read (see above). */
export const DECIMAL_COMMA_PERCENT = /\d,\d+\s*(?:%|percent(?![a-z]))/i;

function comparatorOf(word: string | undefined): Comparator | undefined {
  if (word === undefined) return undefined;
  const w = word.toLowerCase().replace(/\s+/g, ' ');
  if (['<=', '=<', '≤', 'less than or equal to', 'at most', 'up to'].includes(w)) return '<=';
  if (['>=', '=>', '≥', 'greater than or equal to', 'at least'].includes(w)) return '>=';
  if (['<', 'less than', 'lower than', 'below', 'under'].includes(w)) return '<';
  return '>';
}

/** Every percentage in the text, in order. */
export function percentsIn(text: string): Percent[] {
  const out: Percent[] = [];
  for (const m of text.matchAll(PERCENT)) {
    const comparator = comparatorOf(m[1]);
    out.push({ value: Number(m[2]), ...(comparator ? { comparator } : {}) });
  }
  return out;
}

/**
 * The share of blasts at or above which a bare percentage ("85% of blasts") reads as expression.
 * A conservative reading choice of ours, not a laboratory cut-off: below it a percentage alone
 * ("5% of blasts") may be a small subpopulation or background, so it reads as ambiguous.
 */
export const EXPRESSION_THRESHOLD_PERCENT = 20;

/** What a percentage says about expression: 'high' (at or above the threshold), 'low', or unsure. */
export function expressionLevel(p: Percent): 'high' | 'low' | 'unsure' {
  const t = EXPRESSION_THRESHOLD_PERCENT;
  if (p.comparator === '<' || p.comparator === '<=') return p.value <= t ? 'low' : 'unsure';
  if (p.comparator === '>' || p.comparator === '>=') return p.value >= t ? 'high' : 'unsure';
  return p.value >= t ? 'high' : 'low';
}
