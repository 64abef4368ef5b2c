import type { Call, Kind, MarkerSpec, TextReading } from './types';
import {
  clausesOf,
  escapeRegExp,
  isAdjacentGap,
  isListGap,
  isMarkerToken,
  joinQuotes,
  tokens,
} from './clauses';
import { findCues, type Cue } from './cues';
import { readPrefix, readSuffix, type Tight } from './suffix';

/*
 * What a text states about one marker (data rules v2, rules 2-8). Each clause that names the
 * marker is read on its own; each mention in it is decided by what is written right next to it
 * (readSuffix/readPrefix), else by the cue of the list it stands in (findCues). A clause that
 * requests a test says nothing; a clause with a hedge ("possible", "?") is ambiguous. Clauses that
 * disagree, or a clause that says two things, give 'ambiguous'.
 */

interface Compiled {
  kind: Kind;
  /** every mention, global; an alias in parentheses or after "/" belongs to it ("KMT2A (MLL)") */
  mentions: RegExp;
  /** the same, to test once whether the text names the marker at all */
  any: RegExp;
}

const cache = new Map<string, Compiled>();
/** Specs are few (one per topic of a policy); the bound only guards against misuse. */
const MAX_CACHED = 256;

function aliasPattern(alias: string): string {
  const cd = /^(cd)[\s-]?(\d+[a-z]?)$/i.exec(alias);
  if (cd) return `cd[\\s-]?${cd[2]}`;
  return escapeRegExp(alias).replace(/\s+/g, '\\s+');
}

function compile(marker: MarkerSpec): Compiled {
  const key = `${marker.kind}\u0000${marker.aliases.join('\u0000')}\u0000${marker.name}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const given = marker.aliases.map((a) => a.trim()).filter((a) => a !== '');
  const aliases = (given.length > 0 ? given : [marker.name.trim()]).sort(
    (a, b) => b.length - a.length,
  );
  const one = `(?<![A-Za-z0-9])(?:${aliases.map(aliasPattern).join('|')})(?![A-Za-z0-9])`;
  const pattern = `${one}(?:\\s*\\(\\s*${one}\\s*\\)|\\s*\\/\\s*${one})?`;
  const compiled: Compiled = {
    kind: marker.kind,
    mentions: new RegExp(pattern, 'gi'),
    any: new RegExp(one, 'i'),
  };
  if (cache.size >= MAX_CACHED) cache.clear();
  cache.set(key, compiled);
  return compiled;
}

/** A clause that asks for a test rather than stating a result says nothing. */
const REQUEST =
  /(?<![A-Za-z0-9])(?:requested|request|ordered|to\s+be\s+sent|sent\s+out|sent\s+for|send\s+out|will\s+be\s+(?:sent|performed|done|tested)|to\s+(?:assess|evaluate|determine|rule\s+out|look\s+for|check)|rule\s+out|r\/o|evaluate\s+for|evaluation\s+for|assess\s+for|whether|if)(?![A-Za-z0-9])/i;

/** A clause that hedges is not a statement: whatever it says about the marker is ambiguous. */
const HEDGE =
  /\?|(?<![A-Za-z0-9])(?:possible|possibly|probable|probably|suspected|suspect|suspicious|suspicion|questionable|query|uncertain|unclear|likely|unlikely|presumed|presumptive|cannot\s+(?:be\s+)?(?:excluded|exclude|ruled\s+out|rule\s+out)|not\s+(?:be\s+)?excluded|concern(?:ing)?\s+for)(?![A-Za-z0-9])/i;

/** How far a list reaches from its cue; lists are short, and the bound keeps reading linear. */
const MAX_GAP = 400;

interface Scope {
  fwd?: Cue;
  adjacent: boolean;
  bwd?: Cue;
  mod?: Cue;
}

/** The index of the first cue that starts at or after `pos` (cues are in order). */
function firstFrom(cues: Cue[], pos: number): number {
  let lo = 0;
  let hi = cues.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (cues[mid]!.start < pos) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The cues whose list holds the mention [s, e). */
function scopeOf(clause: string, s: number, e: number, cues: Cue[]): Scope {
  const scope: Scope = { adjacent: false };
  const i = firstFrom(cues, e);
  for (let j = i - 1; j >= 0; j--) {
    const c = cues[j]!;
    if (c.end > s) continue;
    if (s - c.end > MAX_GAP) break;
    if (c.role === 'mod') continue;
    const gap = clause.slice(c.end, s);
    if (c.dir === 'fwd' && isListGap(gap)) {
      scope.fwd = c;
      scope.adjacent = isAdjacentGap(gap);
    }
    break;
  }
  for (let j = i; j < cues.length; j++) {
    const c = cues[j]!;
    if (c.start - e > MAX_GAP) break;
    const gap = clause.slice(e, c.start);
    if (c.role === 'mod') {
      if (!scope.mod && !gap.includes(',') && isListGap(gap)) scope.mod = c;
      continue;
    }
    if (c.dir === 'bwd' && isListGap(gap)) scope.bwd = c;
    break;
  }
  return scope;
}

/** The call of the lists the mention stands in; a comma splits a forward list from a backward one. */
function listCall(clause: string, e: number, scope: Scope): Call | undefined {
  const { fwd, bwd, mod } = scope;
  let f = fwd?.role === 'noun' && (bwd || mod) ? undefined : fwd?.call;
  let b = bwd?.call;
  if (fwd && bwd && f && b && f !== b) {
    const comma = clause.lastIndexOf(',', bwd.start - 1);
    if (comma < fwd.end) return 'ambiguous';
    if (e <= comma) b = undefined;
    else f = undefined;
  }
  const calls = new Set([f, b, mod?.call].filter((c): c is Call => c !== undefined));
  if (calls.size === 0) return undefined;
  return calls.size === 1 ? [...calls][0] : 'ambiguous';
}

/** A cue right before the mention and a call right after it: "no CD19-positive blasts". */
function combineAdjacent(cue: Cue, call: Call): Call {
  if (cue.call === 'ambiguous' || call === 'ambiguous') return 'ambiguous';
  if (cue.existential) return call === 'positive' ? 'negative' : 'ambiguous';
  return cue.call === call ? call : 'ambiguous';
}

function decide(clause: string, e: number, suffix: Tight, scope: Scope): Call | undefined {
  if (suffix === 'void') return undefined;
  if (suffix && !suffix.weak) {
    if (scope.fwd && scope.adjacent && scope.fwd.role !== 'noun')
      return combineAdjacent(scope.fwd, suffix.call);
    return suffix.call;
  }
  const listed = listCall(clause, e, scope);
  if (suffix?.call === 'ambiguous') return listed === 'negative' ? 'negative' : 'ambiguous';
  if (!suffix || listed === undefined || listed === 'positive') return listed ?? suffix?.call;
  // A finding named without a verb ("KMT2A rearrangement") in a list that says otherwise.
  if (listed === 'ambiguous') return 'ambiguous';
  if (scope.fwd?.call === 'negative') return 'negative';
  const bwd = scope.bwd;
  if (bwd && clause.lastIndexOf(',', bwd.start - 1) >= e) return 'positive';
  return 'ambiguous';
}

function readMention(clause: string, s: number, e: number, cues: Cue[], kind: Kind) {
  const suffix = readSuffix(clause, e, kind);
  const prefix = readPrefix(clause, s, kind);
  if (suffix === 'void' || prefix === 'void') return 'void';
  const call = decide(clause, e, suffix, scopeOf(clause, s, e, cues));
  if (prefix === undefined) return call;
  return call === undefined || call === prefix ? prefix : 'ambiguous';
}

/** The call of one clause, and the last mention in it (undefined when it names the marker not). */
function readClause(clause: string, c: Compiled): { call?: Call; mention?: string } {
  const found = [...clause.matchAll(c.mentions)];
  if (found.length === 0 || REQUEST.test(clause)) return {};
  const cues = findCues(clause, c.kind);
  const calls = new Set<Call>();
  let mention: string | undefined;
  for (const m of found) {
    const call = readMention(clause, m.index, m.index + m[0].length, cues, c.kind);
    if (call === 'void') continue;
    mention = m[0];
    if (call) calls.add(call);
  }
  if (mention === undefined) return {};
  if (HEDGE.test(clause)) return { call: 'ambiguous', mention };
  if (calls.size === 0) return { mention };
  return { call: calls.size === 1 ? [...calls][0] : 'ambiguous', mention };
}

/** "CD19 was positive at diagnosis but negative at relapse": the second clause names no marker. */
const namesNoMarker = (clause: string) => !tokens(clause).some(isMarkerToken);

/** What the text states about this marker; undefined when it states nothing about it. */
export function readMarker(text: string, marker: MarkerSpec): TextReading | undefined {
  const c = compile(marker);
  if (!c.any.test(text)) return undefined;
  const decided: Array<{ call: Call; quote: string }> = [];
  let subject: string | undefined;
  for (const clause of clausesOf(text)) {
    let read = readClause(clause.text, c);
    if (read.mention === undefined && clause.continues && subject && namesNoMarker(clause.text))
      read = readClause(`${subject} ${clause.text}`, c);
    else if (!clause.continues || read.mention !== undefined || !namesNoMarker(clause.text))
      subject = read.mention;
    if (read.call) decided.push({ call: read.call, quote: clause.text });
  }
  if (decided.length === 0) return undefined;
  const calls = new Set(decided.map((d) => d.call));
  return {
    call: calls.size === 1 ? decided[0]!.call : 'ambiguous',
    quote: joinQuotes(decided.map((d) => d.quote)),
  };
}

/**
 * True when a test's code text/display names this marker and no other marker (another CD antigen
 * such as CD20, or another gene/alias-like token such as BCR, ABL1, ETV6, TCF3 ...).
 */
export function namesMarkerAlone(codeText: string, marker: MarkerSpec): boolean {
  const c = compile(marker);
  let named = false;
  const rest = codeText.replace(c.mentions, () => {
    named = true;
    return ' ';
  });
  return named && !(rest.match(/[A-Za-z0-9]+/g) ?? []).some(isMarkerToken);
}
