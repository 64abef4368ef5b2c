import { readMarker, type Call, type MarkerSpec } from '../../../../src/engine/reading/text';
import { splitClauses } from '../../../../src/engine/reading/clauses';

/*
 * readMarker for antigens (data rules v2, rules 1-7), from real report styles: flow cytometry
 * reports, bone-marrow pathology narratives, clinician notes. Each row: the text, the expected
 * call (undefined = the text states nothing about the marker) and, where it matters, a piece of
 * the quote. Rearrangements are in rearrangement.test.ts.
 */

const CD19: MarkerSpec = { name: 'CD19', aliases: ['CD19'], kind: 'antigen' };
const CD20: MarkerSpec = { name: 'CD20', aliases: ['CD20'], kind: 'antigen' };

type Row = [text: string, call: Call | undefined, quote?: string];

/** A test of one row (rest parameters: jest would take a third named one for `done`). */
function check(marker: MarkerSpec) {
  return (...[text, call, quote]: Row) => {
    const r = readMarker(text, marker);
    expect(r?.call).toBe(call);
    if (call === undefined) expect(r).toBeUndefined();
    if (quote !== undefined) expect(r?.quote).toContain(quote);
  };
}

// 26 cases: every affirmation form of rule 2.
const affirmed: Row[] = [
  ['CD19+', 'positive', 'CD19+'],
  ['CD19 positive', 'positive'],
  ['CD19-positive B-lymphoblasts', 'positive'],
  ['CD19 pos', 'positive'],
  ['Blasts are positive for CD19.', 'positive', 'Blasts are positive for CD19'],
  ['The abnormal population is expressing CD19', 'positive'],
  ['Blasts express CD19 and CD22', 'positive'],
  ['The leukemic blasts expresses CD19', 'positive'],
  ['CD19 is expressed on all blasts', 'positive'],
  ['CD19 bright', 'positive'],
  ['CD19 positive in 85 % of blasts', 'positive'],
  ['CD19 (+)', 'positive'],
  ['CD19: positive', 'positive'],
  ['CD19: +', 'positive'],
  ['CD19 detected', 'positive'],
  ['CD19: 92%', 'positive'],
  ['CD19 (98% of blasts)', 'positive'],
  ['Blasts show bright CD19 expression', 'positive'],
  ['CD19+/CD10+ blasts', 'positive'],
  ['CD19+CD10+CD34+ lymphoblasts', 'positive'],
  ['CD19 (clone SJ25C1) positive', 'positive'],
  ['CD19    98%    bright', 'positive'],
  ['cd19 POSITIVE', 'positive'],
  ['CD 19 positive', 'positive'],
  ['Blasts express CD19 (95%)', 'positive'],
  ['CD19 expression: 87% (bright)', 'positive'],
];

// 31 cases: every negation form of rule 3.
const negated: Row[] = [
  ['CD19 negative', 'negative'],
  ['CD19-negative relapse after tisagenlecleucel', 'negative'],
  ['negative for CD19', 'negative'],
  ['CD19: negative', 'negative'],
  ['CD19: neg', 'negative'],
  ['CD19-', 'negative'],
  ['CD19−', 'negative'],
  ['CD19- CD20- CD22+', 'negative'],
  ['No CD19-positive blasts are seen.', 'negative'],
  ['There are no CD19-positive cells', 'negative'],
  ['Relapse with loss of CD19', 'negative'],
  ['CD19 loss at relapse', 'negative'],
  ['CD19 not detected', 'negative'],
  ['CD19 absent', 'negative'],
  ['Complete absence of CD19 on the blasts', 'negative'],
  ['Blasts lacking CD19', 'negative'],
  ['The population lacks CD19', 'negative'],
  ['Blasts without CD19 expression', 'negative'],
  ['CD19 is not expressed', 'negative'],
  ['CD19 was not identified', 'negative'],
  ['CD19 expression was lost after blinatumomab', 'negative'],
  ['CD19 expression is lost in the relapse specimen', 'negative'],
  ['No CD19 expression detected', 'negative'],
  ['No CD19+ blasts identified', 'negative'],
  ['CD19-positive blasts were not identified', 'negative'],
  ['The blasts do not express CD19', 'negative'],
  ['No expression of CD19 on the leukemic population', 'negative'],
  ['CD19  Negative', 'negative'],
  ['CD19 -, CD20 +', 'negative'],
  ['CD19 negative (<1% of blasts)', 'negative'],
  ['negative for CD19 (<1% of blasts)', 'negative'],
];

// 18 cases: lists after "positive for"/"expressing", negated lists, mixed lists.
const listed: Row[] = [
  ['positive for CD10, CD19 and CD34, negative for CD20', 'positive'],
  ['Blasts are positive for CD10, CD34, CD19 and TdT', 'positive'],
  ['negative for CD19, CD20 and CD22', 'negative'],
  ['CD19, CD20 and CD22 are negative', 'negative'],
  ['Markers negative: CD19, CD22', 'negative'],
  ['Positive: CD19, CD10, CD34. Negative: CD20, CD3.', 'positive', 'Positive: CD19, CD10, CD34'],
  ['CD19 and CD22 negative', 'negative'],
  ['CD19 and CD22: positive', 'positive'],
  ['CD19/CD22 positive', 'positive'],
  ['negative for CD19 and CD22, positive for CD10', 'negative'],
  ['positive for CD34 and CD10, CD19 and CD22 negative', 'negative'],
  ['CD20 positive, CD19 negative', 'negative'],
  ['Flow cytometry: 85% blasts, CD19+, CD10+, CD34+, CD20-.', 'positive'],
  ['Immunophenotype: CD19+ CD10+ CD34+ TdT+ CD20− CD22+', 'positive'],
  ['positive for CD10 (partial), CD19, CD34', 'positive'],
  ['Blasts express CD10, CD19 dim, CD34', 'ambiguous'],
  ['No CD19 or CD22 expression', 'negative'],
  ['CD19-, CD20-, CD22+', 'negative'],
];

// 17 cases: rule 4, hedged or unfinished statements.
const ambiguous: Row[] = [
  ['CD19 dim', 'ambiguous'],
  ['dim CD19', 'ambiguous'],
  ['CD19 (partial)', 'ambiguous'],
  ['CD19 partially expressed', 'ambiguous'],
  ['weak CD19 expression', 'ambiguous'],
  ['CD19 weakly positive', 'ambiguous'],
  ['CD19 heterogeneous', 'ambiguous'],
  ['CD19 variably expressed', 'ambiguous'],
  ['CD19 positive in a subset of blasts', 'ambiguous'],
  ['CD19 equivocal', 'ambiguous'],
  ['CD19 indeterminate', 'ambiguous'],
  ['CD19 not tested', 'ambiguous'],
  ['CD19: not performed', 'ambiguous'],
  ['CD19 pending', 'ambiguous'],
  ['CD19: see report', 'ambiguous'],
  ['CD19 cannot be assessed', 'ambiguous'],
  ['CD19 ?', 'ambiguous'],
];

// 14 cases: more ambiguity: low shares, hedges, dim lists, a heading alone.
const moreAmbiguous: Row[] = [
  ['CD19 positive on 0.5% of events', 'ambiguous'],
  ['positive for CD19 (5%)', 'ambiguous'],
  ['CD19 (<1%)', 'ambiguous'],
  ['CD19 positive (dim)', 'ambiguous'],
  ['CD19+ (partial)', 'ambiguous'],
  ['CD19 was dim to negative', 'ambiguous'],
  ['CD19 and CD22 dim', 'ambiguous'],
  ['Dim expression of CD19 and CD22', 'ambiguous'],
  ['possible CD19 expression on a minor population', 'ambiguous'],
  ['CD19 positive?', 'ambiguous'],
  ['CD19:', 'ambiguous', 'CD19:'],
  ['CD19+/-', 'ambiguous'],
  ['CD19 +/-', 'ambiguous'],
  ['CD19 testing pending', 'ambiguous'],
];

// 14 cases: rules 5 and 6, statements about other markers and mentions that are no result.
const otherOrNoResult: Row[] = [
  ['CD190 positive', undefined],
  ['CD19a positive', undefined],
  ['CD22 negative', undefined],
  ['CD20 negative; CD22 positive', undefined],
  ['Patient received anti-CD19 therapy', undefined],
  ['s/p CD19-directed CAR-T', undefined],
  ['CD19-targeted therapy planned', undefined],
  ['prior CD19 CAR T-cell therapy', undefined],
  ['blinatumomab (CD19/CD3 bispecific)', undefined],
  ['CD19 testing was requested', undefined],
  ['Please evaluate for CD19 expression', undefined],
  ['CD19 expression should be assessed prior to blinatumomab', undefined],
  ['CD19-negative relapse after CD19-directed therapy', 'negative'],
  ['Loss of CD19 after anti-CD19 therapy (tisagenlecleucel)', 'negative'],
];

// 16 cases: rules 1 and 7, clause ends, contradictions, agreement, quotes.
const clauses: Row[] = [
  [
    'CD19 positive. CD19 negative on repeat',
    'ambiguous',
    'CD19 positive … CD19 negative on repeat',
  ],
  ['CD19 positive; CD19 positive on the repeat sample', 'positive', 'CD19 positive … CD19'],
  ['CD19 positive\nCD19 negative', 'ambiguous'],
  ['CD20 negative but CD19 positive', 'positive', 'CD19 positive'],
  ['CD20 negative, but CD19 positive', 'positive'],
  ['CD19 positive, however CD19 is dim on the recurrent population', 'ambiguous'],
  ['CD19 was positive at diagnosis but negative at relapse', 'ambiguous'],
  ['CD19 positive and CD19 negative', 'ambiguous'],
  ['Blasts 10.5% of events; CD19 positive', 'positive', 'CD19 positive'],
  ['Blasts: CD19 pos, CD20 neg', 'positive', 'CD19 pos'],
  ['CD19 positive on 95.5% of blasts', 'positive', '95.5%'],
  ['CD19 positive (bright, 98.2% of blasts)', 'positive'],
  ['Interfant vs. COG; CD19 positive', 'positive', 'CD19 positive'],
  ['e.g. CD19 positive', 'positive'],
  ['CD19 positive, CD20 equivocal', 'positive'],
  ['CD19 positive, likely B-ALL', 'ambiguous'],
];

// 8 cases: full reports in the styles the service receives.
const REPORT =
  'Abnormal B-lymphoblast population (62% of events) expressing CD10, CD19 (bright), CD34 and ' +
  'HLA-DR; negative for CD20, CD3, MPO.';
const NARRATIVE =
  'BONE MARROW, ASPIRATE AND BIOPSY: B-LYMPHOBLASTIC LEUKEMIA, 92% BLASTS. FLOW CYTOMETRY: THE ' +
  'BLASTS EXPRESS CD19, CD10, CD34, TDT AND HLA-DR, AND ARE NEGATIVE FOR CD20 AND MYELOID MARKERS.';
const PATHOLOGY =
  'The blasts are positive for CD19, CD22, CD79a, PAX5 and TdT and are negative for CD20 and ' +
  'surface immunoglobulin.';
const RELAPSE =
  'Post-blinatumomab relapse. Flow: CD19-negative blasts (CD19 loss), CD22 positive (dim), CD20 negative.';
const reports: Array<[string, MarkerSpec, Call | undefined, string?]> = [
  [REPORT, CD19, 'positive', 'CD19 (bright)'],
  [REPORT, CD20, 'negative', 'negative for CD20, CD3, MPO'],
  [NARRATIVE, CD19, 'positive'],
  [NARRATIVE, CD20, 'negative'],
  [PATHOLOGY, CD19, 'positive'],
  [PATHOLOGY, CD20, 'negative'],
  [RELAPSE, CD19, 'negative', 'CD19-negative blasts (CD19 loss)'],
  [RELAPSE, CD20, 'negative'],
];

describe('readMarker (antigen)', () => {
  it.each(affirmed)('affirmed: %j', check(CD19));
  it.each(negated)('negated: %j', check(CD19));
  it.each(listed)('in a list: %j', check(CD19));
  it.each(ambiguous)('hedged: %j', check(CD19));
  it.each(moreAmbiguous)('hedged: %j', check(CD19));
  it.each(otherOrNoResult)('other marker or no result: %j', check(CD19));
  it.each(clauses)('clauses: %j', check(CD19));
  it.each(reports)('report %#', (...[text, marker, call, quote]) =>
    check(marker)(text, call, quote),
  );

  it('reads CD20 in a mixed list by its own cue', () => {
    expect(readMarker('positive for CD10, CD19 and CD34, negative for CD20', CD20)?.call).toBe(
      'negative',
    );
    expect(readMarker('Blasts: CD19 pos, CD20 neg', CD20)?.call).toBe('negative');
  });

  it('reads a long report, with the statement at its end', () => {
    const filler = 'Peripheral blood smear reviewed with unremarkable morphology. '.repeat(320);
    const text = `${filler}${'CD20 '.repeat(400)}negative; CD19 positive`;
    expect(text.length).toBeGreaterThan(20000);
    expect(readMarker(text, CD19)).toEqual({ call: 'positive', quote: 'CD19 positive' });
    const noPunctuation = `${'a CD22 b ( ( 0.0.0 1 2 3 - - '.repeat(800)}CD19 positive`;
    expect(readMarker(noPunctuation, CD19)?.call).toBe('positive');
  });
});

// 8 cases: clause splitting itself.
const splits: Array<[string, string[]]> = [
  ['CD19 positive. CD20 negative', ['CD19 positive', 'CD20 negative']],
  ['MRD 0.01%; blasts 10.5%', ['MRD 0.01%', 'blasts 10.5%']],
  ['MRD <.01%', ['MRD <.01%']],
  ['a\nb\r\nc', ['a', 'b', 'c']],
  ['CD19 positive, but dim', ['CD19 positive', 'dim']],
  ['CD19 positive however CD22 negative', ['CD19 positive', 'CD22 negative']],
  [
    't(4;11)(q21;q23) KMT2A::AFF1; BCR-ABL1 negative',
    ['t(4;11)(q21;q23) KMT2A::AFF1', 'BCR-ABL1 negative'],
  ],
  ['CD19 positive (but dim). Done?', ['CD19 positive (but dim)', 'Done?']],
];

describe('clauses', () => {
  it.each(splits)('%j', (text, expected) => expect(splitClauses(text)).toEqual(expected));
});
