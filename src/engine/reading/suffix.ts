import type { Call, Kind } from './types';
import { isMarkerToken } from './clauses';
import { colonCall } from './cues';
import { scoreResult } from './result';
import { EXPRESSION_THRESHOLD_PERCENT } from './numbers';

/*
 * What is written right next to one mention of a marker (data rules v2, rules 2-4, 6 and 8): the
 * words after it ("CD19+", "CD19 (bright)", "CD19: negative", "CD19 expression was lost", "KMT2A
 * rearrangement not detected", "KMT2A::AFF1") and the words before it ("dim CD19", "anti-CD19").
 * Each step is a sticky pattern tried once at a known position: no scanning, no backtracking.
 */

/**
 * A call stated next to the mention. 'weak' when it yields to the list the mention stands in: a
 * finding named without a verb ("KMT2A rearrangement", positive unless the list says otherwise),
 * or a bare low share ("CD19 (<1%)", ambiguous unless the list says negative).
 */
export type Tight = { call: Call; weak: boolean } | 'void' | undefined;

const E = '(?![A-Za-z0-9])';

const VOID_AFTER = new RegExp(
  '[\\s\\-−–]*(?:directed|targeted|redirected|specific|car(?:-?t)?|chimeric|bispecific|bite|engager|' +
    'antibod(?:y|ies)|monoclonal|immunotoxin|conjugate|adc|therapy|therapies|therapeutic|' +
    `immunotherapy|agent|inhibitor|vaccine)${E}|\\s*\\/\\s*cd3${E}`,
  'iy',
);
const SUSPENDED = /[-–]\s+(?:and|or|&|\/)\s+[A-Za-z0-9]+[-–]([A-Za-z]+)/y;
/** Signs right after the mention: "+/-" (ambiguous), "+", "−"/"-" as a suffix, or " +"/" -" before a separator. */
const SIGN_AFTER =
  /(\s?\+\s*\/\s*[-−–]|\s?±)|(\+{1,2})|(−(?!\d)|[-–](?=$|[\s,;:)/.]|[-–]))|\s(\+)(?=\s*(?:$|[,;)/]))|\s[-−–](?=\s*(?:$|[,;)/]))/y;
const PAREN = /\s*\(([^()\n]{0,60})\)/y;
const PARTNER = /(?:::|[-/])\s?([A-Za-z0-9]{2,12})(?![A-Za-z0-9])/y;
const NOUN = new RegExp(
  '[\\s\\-–]*(gene|antigen|surface|cytoplasmic|expression|rearrangements?|fusions?|translocations?|' +
    'break-?apart|probe|fish|locus|signals?|status|testing|test|results?|studies|study|analysis|' +
    `by\\s+(?:flow(?:\\s+cytometry)?|ihc|fish|pcr|rt-pcr|ngs))${E}`,
  'iy',
);
const COLON = /\s*:(?!:)\s*/y;
const COPULA = new RegExp(
  `\\s+(?:is|are|was|were|has\\s+been|have\\s+been|remains?|remained|appears?|appeared|became|becomes)${E}`,
  'iy',
);
const MODIFIER = new RegExp(
  '[\\s\\-–]*(dim(?:ly)?|weak(?:ly)?|partial(?:ly)?|heterogeneous(?:ly)?|variabl[ey]|focal(?:ly)?|' +
    `subset|bright(?:ly)?|strong(?:ly)?|uniform(?:ly)?)${E}`,
  'iy',
);
const VERB = new RegExp(
  '[\\s\\-–]*(?:(not|no\\s+longer|never)\\s+)?(positive|pos|negative|neg|expressed|detected|detectable|' +
    'undetectable|undetected|present|absent|identified|seen|found|observed|confirmed|lost|loss|rearranged|' +
    'germline|intact|normal|equivocal|indeterminate|pending|inconclusive|split\\s+signals?|' +
    'r(?=$|[\\s,;)])|not\\s+(?:tested|performed|assessed|evaluated|done)|' +
    '(?:cannot|could\\s+not)\\s+be\\s+(?:assessed|evaluated|determined)|' +
    `see\\s+(?:the\\s+)?(?:\\w+\\s+){0,2}?report)${E}`,
  'iy',
);
const SUBSET_AFTER = /\s+(?:in|on)\s+(?:a\s+)?(?:small\s+|minor\s+)?subset/iy;
const SHARE_AFTER = /\s+(?:in|on)\s+(?:approximately\s+|approx\.?\s*|~\s*)?(\d+(?:\.\d+)?)\s*%/iy;

const POSITIVE_VERBS = new Set(
  'positive pos expressed detected detectable present identified seen found observed confirmed rearranged r'.split(
    ' ',
  ),
);
const NEGATIVE_VERBS = new Set('negative neg undetectable undetected absent lost loss'.split(' '));
const REARRANGEMENT_NEGATIVE = new Set(['germline', 'intact', 'normal']);

function at(re: RegExp, text: string, pos: number): RegExpExecArray | null {
  re.lastIndex = pos;
  return re.exec(text);
}

function verbCall(verb: string, negated: boolean, kind: Kind): Call | undefined {
  const v = verb.toLowerCase();
  let call: Call;
  if (POSITIVE_VERBS.has(v) || v.startsWith('split')) call = 'positive';
  else if (NEGATIVE_VERBS.has(v)) call = 'negative';
  else if (REARRANGEMENT_NEGATIVE.has(v)) {
    if (kind !== 'rearrangement') return undefined;
    call = 'negative';
  } else call = 'ambiguous';
  if (!negated) return call;
  // "not confirmed" leaves the question open; "not detected" answers it.
  return call === 'positive' && v !== 'confirmed' ? 'negative' : 'ambiguous';
}

function modifierCall(word: string): Call {
  return /^(?:bright|strong|uniform)/i.test(word) ? 'positive' : 'ambiguous';
}

/** "CD19-positive blasts were not identified": the cells named by the call are said to be absent. */
const CELLS_ABSENT =
  /\s+(?:[A-Za-z-]+\s+){0,2}?(?:blasts?|cells?|lymphoblasts?|populations?|events|lymphocytes)\s+(?:(?:were|was|are|is)\s+)?(?:not\s+(?:identified|detected|seen|present|found|observed)|absent)(?![A-Za-z0-9])/iy;

/** "(partial)", "in a subset", "in 5% of blasts", "blasts were not identified" right after a stated call. */
function trailing(clause: string, pos: number, call: Call, kind: Kind): Call {
  const paren = at(PAREN, clause, pos);
  if (paren) return scoreResult(`${call} ${paren[1]!}`, kind) ?? call;
  if (at(SUBSET_AFTER, clause, pos)) return 'ambiguous';
  const share = at(SHARE_AFTER, clause, pos);
  if (share && kind === 'antigen' && call === 'positive')
    return Number(share[1]) < EXPRESSION_THRESHOLD_PERCENT ? 'ambiguous' : call;
  if (at(CELLS_ABSENT, clause, pos)) return call === 'positive' ? 'negative' : 'ambiguous';
  return call;
}

/** A parenthesis right after the mention: "(bright)", "(+)", "(85%)"; a bare low share ("(<1%)") is weak. */
function parenAfter(content: string, kind: Kind): Tight {
  const said = scoreResult(content, kind);
  if (said === 'ambiguous' && scoreResult(`negative ${content}`, kind) === 'negative')
    return { call: 'ambiguous', weak: true };
  return said ? { call: said, weak: false } : undefined;
}

function signAfter(clause: string, pos: number, kind: Kind): Tight {
  const suspended = at(SUSPENDED, clause, pos);
  if (suspended) {
    const word = suspended[1]!.toLowerCase();
    if (/^(?:directed|targeted|redirected|specific)$/.test(word)) return 'void';
    const call = verbCall(word, false, kind);
    return call ? { call, weak: false } : undefined;
  }
  const sign = at(SIGN_AFTER, clause, pos);
  if (!sign) return undefined;
  const call: Call = sign[1] ? 'ambiguous' : sign[2] || sign[4] ? 'positive' : 'negative';
  return { call: trailing(clause, SIGN_AFTER.lastIndex, call, kind), weak: false };
}

/** After the nouns: [copula] [modifier] [not] verb [trailing], or a finding named without a verb. */
function verbPhrase(clause: string, pos: number, kind: Kind, finding: boolean): Tight {
  let p = pos;
  if (at(COPULA, clause, p)) p = COPULA.lastIndex;
  let modifier: Call | undefined;
  const mod = at(MODIFIER, clause, p);
  if (mod) {
    modifier = modifierCall(mod[1]!);
    p = MODIFIER.lastIndex;
  }
  let call: Call | undefined;
  const verb = at(VERB, clause, p);
  if (verb) {
    call = verbCall(verb[2]!, verb[1] !== undefined, kind);
    p = VERB.lastIndex;
  }
  if (modifier)
    call = modifier === 'ambiguous' || (call && call !== modifier) ? 'ambiguous' : modifier;
  if (call) return { call: trailing(clause, p, call, kind), weak: false };
  return kind === 'rearrangement' && finding ? { call: 'positive', weak: true } : undefined;
}

/** What is written right after a mention that ends at `pos`; 'void' when it is not a result. */
export function readSuffix(clause: string, pos: number, kind: Kind): Tight {
  if (at(VOID_AFTER, clause, pos)) return 'void';
  const sign = signAfter(clause, pos, kind);
  if (sign) return sign;
  let p = pos;
  const paren = at(PAREN, clause, p);
  if (paren) {
    const said = parenAfter(paren[1]!, kind);
    if (said) return said;
    p = PAREN.lastIndex;
  }
  let finding = false;
  let testing = false;
  const partner = kind === 'rearrangement' ? at(PARTNER, clause, p) : null;
  if (partner && isMarkerToken(partner[1]!)) {
    finding = true;
    p = PARTNER.lastIndex;
  }
  for (let noun = at(NOUN, clause, p), n = 0; noun && n < 4; noun = at(NOUN, clause, p), n++) {
    p = NOUN.lastIndex;
    const w = noun[1]!.toLowerCase();
    if (/^(?:rearrangement|fusion|translocation)/.test(w)) finding = true;
    else if (/^(?:probe|fish|status|test|result|stud|analysis)/.test(w)) testing = true;
  }
  if (at(COLON, clause, p)) return { call: colonCall(clause, COLON.lastIndex, kind), weak: false };
  return verbPhrase(clause, p, kind, finding && !testing);
}

const VOID_BEFORE = /(?<![A-Za-z0-9])anti[\s\-−–]*$/i;
const MODIFIER_BEFORE =
  /(?<![A-Za-z0-9])(?:dim(?:ly)?|weak(?:ly)?|partial(?:ly)?|heterogeneous(?:ly)?|variabl[ey]|focal(?:ly)?|equivocal|questionable|subset\s+of|bright(?:ly)?|strong(?:ly)?)\s*\(?\s*$/i;
const NORMAL_BEFORE = /(?<![A-Za-z0-9])normal\s+$/i;
/** How far back a modifier may stand: a few words. */
const LOOK_BACK = 40;

/** What is written right before a mention that starts at `start`: a modifier, "anti-", "normal". */
export function readPrefix(clause: string, start: number, kind: Kind): Call | 'void' | undefined {
  const before = clause.slice(Math.max(0, start - LOOK_BACK), start);
  if (VOID_BEFORE.test(before)) return 'void';
  const mod = MODIFIER_BEFORE.exec(before);
  if (mod) return modifierCall(mod[0].trim());
  return kind === 'rearrangement' && NORMAL_BEFORE.test(before) ? 'negative' : undefined;
}
