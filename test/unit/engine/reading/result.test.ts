import {
  EXPRESSION_THRESHOLD_PERCENT,
  readResult,
  type Call,
} from '../../../../src/engine/reading/text';

/*
 * readResult: the bare result of a test dedicated to one marker (data rules v2, rules 8 and 9), as
 * laboratories send it in valueString / valueCodeableConcept.text.
 */

type Row = [text: string, call: Call | undefined];

// 27 cases: antigen results.
const antigen: Row[] = [
  ['Positive', 'positive'],
  ['POS', 'positive'],
  ['+', 'positive'],
  ['(+)', 'positive'],
  ['Detected', 'positive'],
  ['Expressed', 'positive'],
  ['85% of blasts', 'positive'],
  ['positive (92% of blasts)', 'positive'],
  [`${EXPRESSION_THRESHOLD_PERCENT}%`, 'positive'],
  ['Negative', 'negative'],
  ['neg', 'negative'],
  ['-', 'negative'],
  ['−', 'negative'],
  ['Not detected', 'negative'],
  ['Not expressed', 'negative'],
  ['Absent', 'negative'],
  ['Negative (<1% of blasts)', 'negative'],
  ['<1% of blasts', 'ambiguous'],
  ['5%', 'ambiguous'],
  ['Dim', 'ambiguous'],
  ['Partial', 'ambiguous'],
  ['weakly positive', 'ambiguous'],
  ['Positive / Negative', 'ambiguous'],
  ['Negative (85%)', 'ambiguous'],
  ['see report', 'ambiguous'],
  ['0,5%', 'ambiguous'],
  ['Abnormal', 'ambiguous'],
];

// 20 cases: rearrangement results.
const rearrangement: Row[] = [
  ['Detected', 'positive'],
  ['Positive', 'positive'],
  ['Rearranged', 'positive'],
  ['Present', 'positive'],
  ['Rearranged in 78% of nuclei', 'positive'],
  ['Split signal in 82% of nuclei', 'positive'],
  ['Not detected', 'negative'],
  ['Negative', 'negative'],
  ['Not rearranged', 'negative'],
  ['Absent', 'negative'],
  ['No rearrangement', 'negative'],
  ['No rearrangement detected', 'negative'],
  ['Germline', 'negative'],
  ['Negative for rearrangement', 'negative'],
  ['Indeterminate', 'ambiguous'],
  ['Equivocal', 'ambiguous'],
  ['Pending', 'ambiguous'],
  ['Abnormal', 'ambiguous'],
  ['Detected; not detected on repeat', 'ambiguous'],
  ['see comment', 'ambiguous'],
];

// 3 cases: empty text.
const empty: Row[] = [
  ['', undefined],
  ['   ', undefined],
  ['\n\t', undefined],
];

describe('readResult', () => {
  it.each(antigen)('antigen: %j', (...[text, call]) =>
    expect(readResult(text, 'antigen')?.call).toBe(call),
  );
  it.each(rearrangement)('rearrangement: %j', (...[text, call]) =>
    expect(readResult(text, 'rearrangement')?.call).toBe(call),
  );
  it.each(empty)('empty: %j', (...[text]) => {
    expect(readResult(text, 'antigen')).toBeUndefined();
    expect(readResult(text, 'rearrangement')).toBeUndefined();
  });

  it('quotes the trimmed text', () => {
    expect(readResult('  Not detected \n', 'rearrangement')).toEqual({
      call: 'negative',
      quote: 'Not detected',
    });
  });
});
