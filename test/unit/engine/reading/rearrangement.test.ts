import { readMarker, type Call, type MarkerSpec } from '../../../../src/engine/reading/text';

/*
 * readMarker for gene rearrangements (data rules v2, rules 5 and 8), from FISH, karyotype, RT-PCR
 * and NGS report styles. Each row: the text, the expected call (undefined = says nothing about
 * KMT2A) and, where it matters, a piece of the quote.
 */

const KMT2A: MarkerSpec = {
  name: 'KMT2A',
  aliases: ['KMT2A', 'MLL', '11q23'],
  kind: 'rearrangement',
};

type Row = [text: string, call: Call | undefined, quote?: string];

/** A test of one row (rest parameters: jest would take a third named one for `done`). */
const check = (...[text, call, quote]: Row) => {
  const r = readMarker(text, KMT2A);
  expect(r?.call).toBe(call);
  if (call === undefined) expect(r).toBeUndefined();
  if (quote !== undefined) expect(r?.quote).toContain(quote);
};

const FISH =
  'Interphase FISH with KMT2A break-apart probe: rearrangement detected in 78% of nuclei. ' +
  'BCR/ABL1 dual fusion: no fusion detected. ETV6/RUNX1: negative.';

// 20 cases: affirmations.
const affirmed: Row[] = [
  [FISH, 'positive', 'KMT2A break-apart probe: rearrangement detected in 78% of nuclei'],
  ['KMT2A rearranged', 'positive'],
  ['KMT2A-rearranged infant ALL', 'positive'],
  ['KMT2A-r infant ALL', 'positive'],
  ['KMT2A rearrangement detected', 'positive'],
  ['MLL rearrangement present', 'positive'],
  ['KMT2A rearrangement identified in 92% of interphase nuclei', 'positive'],
  ['MLL rearrangement positive', 'positive'],
  ['Genetics: KMT2A rearrangement, hyperdiploidy', 'positive'],
  ['KMT2A fusion detected by RNA sequencing', 'positive'],
  ['KMT2A-AFF1 fusion', 'positive'],
  ['46,XX,t(4;11)(q21;q23) KMT2A::AFF1', 'positive', 't(4;11)(q21;q23) KMT2A::AFF1'],
  ['KMT2A::MLLT3 fusion detected', 'positive'],
  ['KMT2A positive', 'positive'],
  ['KMT2A detected', 'positive'],
  ['KMT2A break-apart: split signal in 85% of nuclei', 'positive'],
  ['KMT2A break-apart positive', 'positive'],
  ['KMT2A (MLL) rearrangement: detected', 'positive'],
  ['11q23/KMT2A rearrangement detected', 'positive'],
  ['MLL/KMT2A: positive for rearrangement (split signals in 78% of nuclei)', 'positive'],
];

// 17 cases: negations.
const negated: Row[] = [
  ['KMT2A not rearranged', 'negative'],
  ['KMT2A is not rearranged', 'negative'],
  ['No KMT2A rearrangement', 'negative'],
  ['negative for KMT2A rearrangement', 'negative'],
  ['KMT2A rearrangement not detected', 'negative'],
  ['KMT2A gene rearrangement absent', 'negative'],
  ['KMT2A: negative', 'negative'],
  ['KMT2A germline', 'negative'],
  ['KMT2A locus intact', 'negative'],
  ['No evidence of KMT2A rearrangement', 'negative'],
  ['KMT2A break-apart negative', 'negative'],
  ['normal KMT2A FISH', 'negative'],
  ['KMT2A FISH: 200 nuclei scored, no split signals observed', 'negative'],
  ['KMT2A rearrangement was not identified', 'negative'],
  ['Negative for BCR-ABL1, ETV6-RUNX1 and KMT2A rearrangements', 'negative'],
  ['No KMT2A, ETV6 or TCF3 rearrangement identified', 'negative'],
  ['FISH for KMT2A, ETV6/RUNX1 and BCR/ABL1: no rearrangement detected', 'negative'],
];

// 14 cases: other genes, hedges, requests, contradictions.
const others: Row[] = [
  ['BCR-ABL1 detected; KMT2A not detected', 'negative', 'KMT2A not detected'],
  ['KMT2A rearrangement detected; ETV6-RUNX1, BCR-ABL1 not detected', 'positive'],
  ['KMT2A rearrangement detected, ETV6-RUNX1 and BCR-ABL1 not detected', 'positive'],
  ['KMT2A rearrangement, BCR-ABL1 negative', 'positive'],
  ['KMT2A rearrangement and BCR-ABL1 not detected', 'ambiguous'],
  ['BCR-ABL1 positive. ETV6-RUNX1 negative.', undefined],
  ['SMALL cell population', undefined],
  ['KMT2A rearrangement testing sent', undefined],
  ['r/o KMT2A rearrangement', undefined],
  ['KMT2A rearrangement?', 'ambiguous'],
  ['KMT2A rearrangement: pending', 'ambiguous'],
  ['KMT2A FISH equivocal', 'ambiguous'],
  ['KMT2A rearrangement not confirmed', 'ambiguous'],
  ['KMT2A rearranged. Repeat FISH: KMT2A not rearranged.', 'ambiguous', ' … '],
];

describe('readMarker (rearrangement)', () => {
  it.each(affirmed)('affirmed: %j', check);
  it.each(negated)('negated: %j', check);
  it.each(others)('other genes, hedges, contradictions: %j', check);
});
