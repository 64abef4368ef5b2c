import type { Call, Kind } from './types';
import { scoreResult } from './result';
import { isMarkerToken, tokens } from './clauses';

/*
 * Cue words of a clause (data rules v2, rules 2-4 and 8): words that state something about the
 * markers of a list. A forward cue speaks about the list after it ("positive for CD10, CD19 and
 * CD34", "negative for", "lacking", "loss of", "no"); a backward cue about the list before it ("CD19,
 * CD20 and CD22 are negative", "rearrangement detected"); a cue followed by ":" is forward
 * ("Markers negative: CD19, CD22"), and a ":" after a list is a backward cue whose call is what its
 * value says ("ETV6/RUNX1: negative"). A modifier ("dim", "bright") speaks about the markers just
 * before it, never across a comma, and does not end a list. All patterns are compiled once, at
 * load; their alternatives are fixed words with bounded repetition, so matching is linear.
 */

export interface Cue {
  start: number;
  end: number;
  call: Call;
  dir: 'fwd' | 'bwd';
  /** 'pred' states a result; 'noun' ("expression of") only names one; 'mod' is a modifier */
  role: 'pred' | 'noun' | 'mod';
  /** a negation of existence ("no", "absence of", "without"): "no CD19-positive blasts" is negative */
  existential: boolean;
}

interface CueDef {
  re: string;
  call: Call;
  dir: 'fwd' | 'bwd';
  role?: Cue['role'];
  existential?: boolean;
}

const COP =
  '(?:(?:is|are|was|were|has\\s+been|have\\s+been|remains?|remained|appears?|appeared|became|becomes)\\s+)?';
const MOD =
  '(?:dim(?:ly)?|weak(?:ly)?|partial(?:ly)?|heterogeneous(?:ly)?|variabl[ey]|focal(?:ly)?)';
const EXPRESS = 'express(?:es|ing)?(?![a-z])';
const FOUND = '(?:detected|identified|seen|present|found|observed)';
const AMBIGUOUS =
  '(?:not\\s+(?:tested|performed|assessed|evaluated|done|evaluable)|pending|' +
  'see\\s+(?:the\\s+)?(?:\\w+\\s+){0,2}?report|(?:cannot|could\\s+not)\\s+be\\s+(?:assessed|evaluated|determined)|' +
  'equivocal|indeterminate|inconclusive|insufficient)';
const REARR = '(?:rearrangements?|fusions?|translocations?)\\s+';

const DEFS: CueDef[] = [
  {
    re: '(?:no|without|loss\\s+of|lack\\s+of|absence\\s+of|absent)\\s+(?:(?:surface|cytoplasmic|aberrant|significant|detectable)\\s+)?(?:expression|staining|positivity|reactivity)\\s+(?:of|for)',
    call: 'negative',
    dir: 'fwd',
    existential: true,
  },
  {
    re: `(?:(?:does|do|did)\\s+not|not|no\\s+longer|never)\\s+${EXPRESS}`,
    call: 'negative',
    dir: 'fwd',
    existential: true,
  },
  {
    re: `${COP}${MOD}\\s+(?:positive\\s+for|positivity\\s+for|${EXPRESS}|expression\\s+of|staining\\s+for)`,
    call: 'ambiguous',
    dir: 'fwd',
  },
  {
    re: `${COP}(?:positive|pos|positivity|reactive|immunoreactive)\\s+for`,
    call: 'positive',
    dir: 'fwd',
  },
  { re: EXPRESS, call: 'positive', dir: 'fwd' },
  {
    re: '(?:(?:co-?)?expression\\s+of|staining\\s+for)',
    call: 'positive',
    dir: 'fwd',
    role: 'noun',
  },
  { re: `${COP}(?:negative|neg|negativity)\\s+for`, call: 'negative', dir: 'fwd' },
  {
    re: 'no\\s+(?:evidence|signs?|indication)\\s+(?:of|for)|lacking|lacks|lack\\s+of|loss\\s+of|absence\\s+of|without|free\\s+of|devoid\\s+of|no',
    call: 'negative',
    dir: 'fwd',
    existential: true,
  },
  { re: `${COP}${AMBIGUOUS}\\s+for`, call: 'ambiguous', dir: 'fwd' },
  {
    re: `${REARR}${COP}(?:not\\s+${FOUND}|absent|negative)`,
    call: 'negative',
    dir: 'bwd',
  },
  { re: `${REARR}${COP}(?:${FOUND}|positive|noted)`, call: 'positive', dir: 'bwd' },
  {
    re: `${COP}(?:not|no\\s+longer|never)\\s+(?:been\\s+)?(?:${FOUND}|expressed|rearranged|positive)`,
    call: 'negative',
    dir: 'bwd',
  },
  { re: `${COP}${MOD}\\s+(?:positive|expressed|detected|present)`, call: 'ambiguous', dir: 'bwd' },
  {
    re: `${COP}(?:negative|neg|absent|lost|undetectable|undetected|germline|intact)`,
    call: 'negative',
    dir: 'bwd',
  },
  {
    re: `${COP}(?:positive|pos|expressed|detected|present|identified|rearranged)`,
    call: 'positive',
    dir: 'bwd',
  },
  { re: 'split\\s+signals?|break-?apart\\s+positive', call: 'positive', dir: 'bwd' },
  { re: 'break-?apart\\s+negative', call: 'negative', dir: 'bwd' },
  { re: AMBIGUOUS, call: 'ambiguous', dir: 'bwd' },
  { re: `(?<!\\(\\s?)(?:${MOD}|subset)`, call: 'ambiguous', dir: 'bwd', role: 'mod' },
  { re: '(?<!\\(\\s?)(?:bright(?:ly)?|strong(?:ly)?)', call: 'positive', dir: 'bwd', role: 'mod' },
];

const CUES = new RegExp(
  DEFS.map((d) => `(?<![A-Za-z0-9])(${d.re})(?![A-Za-z0-9])`).join('|'),
  'gi',
);

/** A ":" right after a cue: the cue speaks about what follows ("Negative: CD19, CD22"). */
const COLON_AFTER = /\s*:(?!:)/y;

/** A ":" (not "::") that may close the list of a heading ("ETV6/RUNX1: negative"). */
const COLON = /:(?!:)/g;

/** Where the value after a ":" ends: a comma, or the next "name:" heading. */
const NEXT_HEADING = /\s[A-Za-z0-9][\w\-/()]*\s*:(?!:)/;

/** How far a heading's value may reach: results are short, and this keeps reading linear. */
const MAX_VALUE = 200;

/** The parts of the value after a heading's ":", split at commas outside parentheses, up to the next heading. */
function valueParts(clause: string, from: number): string[] {
  const end = Math.min(clause.length, from + MAX_VALUE);
  const heading = NEXT_HEADING.exec(clause.slice(from, end));
  const stop = heading ? from + heading.index : end;
  const parts: string[] = [];
  let depth = 0;
  let start = from;
  for (let i = from; i <= stop; i++) {
    const ch = clause[i];
    if (ch === '(') depth++;
    else if (ch === ')') depth = Math.max(0, depth - 1);
    else if (i === stop || (ch === ',' && depth === 0)) {
      parts.push(clause.slice(start, i).trim());
      start = i + 1;
    }
  }
  return parts;
}

/**
 * What the value after a heading's ":" says: its first part, or (when that holds no result, as in
 * "KMT2A FISH: 200 nuclei scored, no split signals observed") the first later part that does and
 * names no marker. Nothing after the ":" is 'ambiguous' (a heading alone).
 */
export function colonCall(clause: string, from: number, kind: Kind): Call {
  const parts = valueParts(clause, from);
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    if (i > 0 && tokens(part).some(isMarkerToken)) break;
    const call = scoreResult(part, kind);
    if (call) return call;
  }
  return 'ambiguous';
}

function defOf(m: RegExpExecArray): CueDef {
  for (let i = 0; i < DEFS.length; i++) if (m[i + 1] !== undefined) return DEFS[i]!;
  throw new Error('a cue matched no definition');
}

function wordCues(clause: string): Cue[] {
  const out: Cue[] = [];
  CUES.lastIndex = 0;
  for (let m = CUES.exec(clause); m; m = CUES.exec(clause)) {
    const def = defOf(m);
    const cue: Cue = {
      start: m.index,
      end: m.index + m[0].length,
      call: def.call,
      dir: def.dir,
      role: def.role ?? 'pred',
      existential: def.existential ?? false,
    };
    COLON_AFTER.lastIndex = cue.end;
    if (cue.role !== 'mod' && COLON_AFTER.test(clause)) {
      cue.dir = 'fwd';
      cue.end = COLON_AFTER.lastIndex;
    }
    out.push(cue);
  }
  return out;
}

/** Colon cues; `taken` (in order) are the word cues, whose own ":" is not a heading. */
function colonCues(clause: string, taken: Cue[], kind: Kind): Cue[] {
  const out: Cue[] = [];
  let t = 0;
  for (const m of clause.matchAll(COLON)) {
    const at = m.index;
    if (at > 0 && clause[at - 1] === ':') continue;
    while (t < taken.length && taken[t]!.end <= at) t++;
    if (t < taken.length && taken[t]!.start <= at) continue;
    const call = colonCall(clause, at + 1, kind);
    out.push({ start: at, end: at + 1, call, dir: 'bwd', role: 'pred', existential: false });
  }
  return out;
}

/** The cues of a clause, in order. */
export function findCues(clause: string, kind: Kind): Cue[] {
  const words = wordCues(clause);
  const colons = colonCues(clause, words, kind);
  return [...words, ...colons].sort((a, b) => a.start - b.start);
}
