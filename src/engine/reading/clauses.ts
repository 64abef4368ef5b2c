/*
 * Clauses and tokens of free text (data rules v2, rule 1). A clause ends at ".", ";", "?", "!", a
 * line break, or the words "but", "however", "whereas", "although" (a clause after one of these
 * words `continues` the one before). A "." followed by a digit or a letter (0.1, 10.5%, <.01%,
 * "e.g.") or after an abbreviation ("vs.", "approx.") does not end a clause, and neither do ";",
 * "." or the words inside a pair of parentheses closed on the same line ("t(4;11)(q21;q23)",
 * "(but dim)"). Commas never end a clause. Splitting is a loop over the characters; the few
 * patterns here have no nested choices, so everything is linear in the length of the text.
 */

const CLAUSE_WORDS = /\b(?:but|however|whereas|although)\b/gi;

/** For each character, whether it lies inside a pair of parentheses closed on the same line. */
function parenthesised(text: string): Uint8Array {
  const diff = new Int32Array(text.length + 1);
  const open: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '\n' || ch === '\r') open.length = 0;
    else if (ch === '(') open.push(i);
    else if (ch === ')' && open.length > 0) {
      diff[open.pop()! + 1]! += 1;
      diff[i]! -= 1;
    }
  }
  const inside = new Uint8Array(text.length);
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    depth += diff[i]!;
    inside[i] = depth > 0 ? 1 : 0;
  }
  return inside;
}

/** Where the clause-ending words are (outside parentheses), as [start, end) pairs. */
function wordCuts(text: string, inside: Uint8Array): Array<[number, number]> {
  const cuts: Array<[number, number]> = [];
  for (const m of text.matchAll(CLAUSE_WORDS))
    if (!inside[m.index]) cuts.push([m.index, m.index + m[0].length]);
  return cuts;
}

const isDigit = (ch: string | undefined) => ch !== undefined && ch >= '0' && ch <= '9';
const isLetter = (ch: string | undefined) => ch !== undefined && /[A-Za-z]/.test(ch);

/** Whether a clause ends at i: 'drop' the separator, 'keep' it in the clause ("?"), or not. */
function cutAt(text: string, i: number, inside: Uint8Array): 'drop' | 'keep' | undefined {
  const ch = text[i];
  if (ch === '\n' || ch === '\r') return 'drop';
  if (inside[i]) return undefined;
  if (ch === ';') return 'drop';
  if (ch === '.') return isDigit(text[i + 1]) || isLetter(text[i + 1]) ? undefined : 'drop';
  if (ch === '?' || ch === '!') return 'keep';
  return undefined;
}

/** A clause; `continues` when it follows "but"/"however"/... and may share the subject before it. */
export interface Clause {
  text: string;
  continues: boolean;
}

/** Abbreviations whose "." does not end a clause ("Interfant vs. COG", "e.g. CD19"). */
const ABBREVIATION = /(?<![A-Za-z0-9])(?:vs|e\.g|i\.e|approx|incl|cf)$/i;

/** The clauses of the text, each trimmed (spaces and stray commas), as written; empty ones left out. */
export function clausesOf(text: string): Clause[] {
  const inside = parenthesised(text);
  const cuts = wordCuts(text, inside);
  const out: Clause[] = [];
  let start = 0;
  let next = 0;
  let continues = false;
  const push = (end: number) => {
    const clause = trimClause(text.slice(start, end));
    if (clause !== '') out.push({ text: clause, continues });
  };
  for (let i = 0; i < text.length; i++) {
    const cut = cuts[next];
    if (cut && cut[0] === i) {
      push(i);
      start = cut[1];
      i = cut[1] - 1;
      next++;
      continues = true;
      continue;
    }
    const how = cutAt(text, i, inside);
    if (how === undefined) continue;
    if (text[i] === '.' && ABBREVIATION.test(text.slice(Math.max(start, i - 6), i))) continue;
    push(how === 'keep' ? i + 1 : i);
    start = i + 1;
    continues = false;
  }
  push(text.length);
  return out;
}

/** The clauses of the text, as written (see clausesOf). */
export function splitClauses(text: string): string[] {
  return clausesOf(text).map((c) => c.text);
}

const isTrimmed = (ch: string) => ch === ',' || ch.trim() === '';

/** The text without leading or trailing white space and commas (a plain loop: no backtracking). */
export function trimClause(text: string): string {
  let a = 0;
  let b = text.length;
  while (a < b && isTrimmed(text[a]!)) a++;
  while (b > a && isTrimmed(text[b - 1]!)) b--;
  return text.slice(a, b);
}

/** The deciding clauses as one quote, each once, in order. */
export function joinQuotes(quotes: string[]): string {
  return [...new Set(quotes)].join(' … ');
}

/** A regular expression that matches the literal text. */
export function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
}

/** A word-ish token (letters and digits joined by "-", "'" or "."), a percentage, or one symbol. */
const TOKEN = /[A-Za-z0-9]+(?:[-'.][A-Za-z0-9]+)*%?|\S/g;

/** The tokens of a short piece of text. */
export function tokens(text: string): string[] {
  return text.match(TOKEN) ?? [];
}

/** Markers and genes that carry no digit (the others are recognised by their digits). */
const LETTER_MARKERS = new Set([
  'hla-dr',
  'hla',
  'dr',
  'tdt',
  'mpo',
  'myeloperoxidase',
  'lysozyme',
  'kappa',
  'lambda',
  'sig',
  'sigm',
  'cigm',
  'igm',
  'igh',
  'igk',
  'igl',
  'tcr',
  'bcr',
  'abl',
  'mll',
  'myc',
  'pml',
  'rara',
  'glycophorin',
  'cyclin',
]);

function isMarkerWord(t: string): boolean {
  if (LETTER_MARKERS.has(t)) return true;
  if (/^[a-z]{1,8}\d+[a-z0-9]*$/.test(t)) return true;
  return /^\d{1,2}[pq]\d+(?:\.\d+)?$/.test(t);
}

/**
 * Whether a token names a marker or gene (CD antigens, gene symbols with digits, cytobands, known
 * symbols without digits), or is one joined to something ("CD19-positive", "BCR-ABL1").
 */
export function isMarkerToken(token: string): boolean {
  const t = token.toLowerCase();
  return isMarkerWord(t) || t.split(/[-'.]/).some(isMarkerWord);
}

/** Words that may stand between a cue and the markers of its list ("negative for the B-cell markers CD19 and CD22"). */
const LIST_WORDS = new Set(
  (
    'and or nor as well also both either including incl i.e e.g the a an all any of in on at by with ' +
    'is are was were be been being its their these those other ' +
    'expression expressions antigen antigens marker markers surface cytoplasmic cyto membranous ' +
    'nuclear b-cell t-cell b t myeloid lymphoid lineage blast blasts cell cells event events nuclei ' +
    'population populations gene genes rearrangement rearrangements fusion fusions translocation ' +
    'translocations probe probes fish locus loci aberrant abnormal residual significant detectable ' +
    'evidence bright dim dimly partial partially weak weakly strong strongly heterogeneous ' +
    'heterogeneously variable variably subset uniform uniformly homogeneous homogeneously ' +
    'approximately approx about total gated'
  ).split(' '),
);

const LIST_SYMBOLS = new Set([
  ',',
  '/',
  '&',
  '(',
  ')',
  '+',
  '-',
  '−',
  '–',
  ':',
  '%',
  '~',
  '<',
  '>',
]);

/** Whether a token may be part of a list of markers (a marker, a number, a joining word or symbol). */
export function isListToken(token: string): boolean {
  if (LIST_SYMBOLS.has(token)) return true;
  if (/\d/.test(token)) return true;
  const t = token.toLowerCase();
  return LIST_WORDS.has(t) || isMarkerToken(t);
}

/** Whether the text between a cue and a marker is all list material (markers, separators, joining words). */
export function isListGap(gap: string): boolean {
  return tokens(gap).every(isListToken);
}

/** Whether the text between a cue and a marker names no other marker and no list separator. */
export function isAdjacentGap(gap: string): boolean {
  return tokens(gap).every((t) => {
    const w = t.toLowerCase();
    return (
      !isMarkerToken(w) &&
      !['and', 'or', 'nor', ',', '/', '&', ';'].includes(w) &&
      (LIST_WORDS.has(w) || w === '(')
    );
  });
}
