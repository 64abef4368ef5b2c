import { readMrd, type MrdReading } from '../../../../src/engine/reading/text';

/*
 * readMrd (data rules v2, rule 10), from flow (10^-4 sensitivity), NGS (clonoSEQ style) and
 * pathology report styles. Each row: the text and the expected reading without its quote (or
 * undefined), and where it matters a piece of the quote.
 */

/** A reading without its quote (Omit of each member of the union). */
type Expected =
  (MrdReading extends infer R ? (R extends unknown ? Omit<R, 'quote'> : never) : never) | undefined;
type Row = [text: string, expected: Expected, quote?: string];

const negative: Expected = { call: 'negative' };
const unreadable: Expected = { call: 'unreadable' };
const percent = (value: number, comparator?: '<' | '<=' | '>' | '>='): Expected => ({
  call: 'percent',
  value,
  ...(comparator ? { comparator } : {}),
});

function check(requireMention: boolean) {
  return (...[text, expected, quote]: Row) => {
    const r = readMrd(text, requireMention);
    if (expected === undefined) return expect(r).toBeUndefined();
    const { quote: said, ...rest } = r!;
    expect(rest).toEqual(expected);
    if (quote !== undefined) expect(said).toContain(quote);
  };
}

// 13 cases: negative statements.
const negatives: Row[] = [
  ['MRD negative', negative],
  ['MRD: not detected', negative],
  ['MRD undetectable by flow cytometry', negative],
  ['No evidence of MRD.', negative],
  ['No evidence of minimal residual disease', negative],
  ['No evidence of measurable residual disease (sensitivity 10^-4).', negative],
  ['No residual disease detected', negative],
  ['MRD-negative remission', negative],
  ['MRD below the limit of detection', negative],
  ['MRD (flow, 10^-4 sensitivity): negative', negative],
  ['End-of-induction MRD negative at a sensitivity of 10^-4', negative],
  ['MRD negative, LOD 0.001%', negative],
  ['Morphologic remission. Flow cytometric MRD: NEGATIVE.', negative, 'MRD: NEGATIVE'],
];

// 17 cases: percentages and comparators.
const percents: Row[] = [
  ['MRD 0.3%', percent(0.3)],
  ['MRD 0.3 %', percent(0.3)],
  ['MRD < 0.01 %', percent(0.01, '<')],
  ['MRD <0.01%', percent(0.01, '<')],
  ['MRD ≤ 0.09%', percent(0.09, '<=')],
  ['MRD ≥ 1%', percent(1, '>=')],
  ['MRD less than 0.01%', percent(0.01, '<')],
  ['MRD greater than 1%', percent(1, '>')],
  ['MRD more than 5 %', percent(5, '>')],
  ['MRD at least 0.1%', percent(0.1, '>=')],
  ['MRD at most 0.1%', percent(0.1, '<=')],
  ['MRD up to 0.1%', percent(0.1, '<=')],
  ['MRD positive at 0.05%', percent(0.05)],
  ['MRD detected at 0.0021%', percent(0.0021)],
  ['MRD NEGATIVE (<0.01%)', percent(0.01, '<')],
  ['End of induction MRD by flow cytometry: 0.3% (sensitivity 0.01%)', percent(0.3)],
  ['Bone marrow blasts 85%. MRD by NGS: detected, 0.0150%.', percent(0.015), 'MRD by NGS'],
];

// 15 cases: unreadable statements.
const unreadables: Row[] = [
  ['MRD positive', unreadable],
  ['MRD 1.2 x 10^-3', unreadable],
  ['MRD 10-4', unreadable],
  ['MRD < 10^-4', unreadable],
  ['MRD: see report', unreadable],
  ['MRD 0.05%. MRD 0.3% on the repeat sample.', unreadable, 'MRD 0.05% … MRD 0.3%'],
  ['MRD detected. MRD not detected on repeat.', unreadable],
  ['MRD negative, 0.5%', unreadable],
  ['MRD negative. MRD 0.5%.', unreadable],
  ['MRD 0.3 cells', unreadable],
  ['MRD 0,05 %', unreadable],
  ['MRD pending', unreadable],
  ['MRD indeterminate (hemodilute specimen)', unreadable],
  ['MRD positive below the limit of quantification', unreadable],
  ['MRD positive (<0.01%)', unreadable],
];

// 6 cases: which clauses count when a mention is required.
const mentions: Row[] = [
  ['Blasts 85%', undefined],
  ['Blasts 85%. MRD negative.', negative, 'MRD negative'],
  ['MRD on 2024-10-14: negative', negative],
  ['Minimal residual disease by flow cytometry: 0.02%', percent(0.02)],
  ['Measurable residual disease detected at 1.5%', percent(1.5)],
  ['MRD assessment performed on bone marrow aspirate. No residual disease detected.', negative],
];

// 10 cases: the value of a test coded as MRD (no mention required).
const values: Row[] = [
  ['Negative', negative],
  ['Not detected', negative],
  ['0.3%', percent(0.3)],
  ['<0.01%', percent(0.01, '<')],
  ['< 0.01 %', percent(0.01, '<')],
  ['Detected', unreadable],
  ['see report', unreadable],
  ['1 in 10,000', unreadable],
  ['', undefined],
  ['  ', undefined],
];

describe('readMrd', () => {
  it.each(negatives)('negative: %j', check(true));
  it.each(percents)('percent: %j', check(true));
  it.each(unreadables)('unreadable: %j', check(true));
  it.each(mentions)('mentions: %j', check(true));
  it.each(values)('value of a test coded as MRD: %j', check(false));

  it('quotes the whole value of a test coded as MRD, and only MRD clauses of a report', () => {
    expect(readMrd(' MRD negative (<0.01%) ', false)?.quote).toBe('MRD negative (<0.01%)');
    expect(readMrd('Blasts 2%. MRD 0.3%.', true)?.quote).toBe('MRD 0.3%');
  });
});
