import {
  namesMarkerAlone,
  readRegimen,
  type MarkerSpec,
} from '../../../../src/engine/reading/text';

/*
 * readRegimen (data rules v2, rule 11), from order notes and care-plan text; namesMarkerAlone,
 * from the code text / display of laboratory tests.
 */

type RegimenRow = [text: string, call: 'affirmed' | 'negated' | undefined, quote?: string];

// 33 cases.
const regimens: RegimenRow[] = [
  ['Interfant-06 regimen', 'affirmed'],
  ['Induction per Interfant protocol', 'affirmed'],
  ['Interfant-99', 'affirmed'],
  ['Treated on Interfant', 'affirmed'],
  ['Interfant backbone with blinatumomab', 'affirmed'],
  ['Blinatumomab in combination with Interfant-06 chemotherapy', 'affirmed'],
  ['INTERFANT-06 induction; MRD not detected', 'affirmed', 'INTERFANT-06 induction'],
  ['Declined Interfant', 'negated'],
  ['Family declined the Interfant regimen', 'negated'],
  ['Not on Interfant', 'negated'],
  ['Not eligible for Interfant', 'negated'],
  ['Ineligible for Interfant-06', 'negated'],
  ['Interfant not used', 'negated'],
  ['Blinatumomab instead of Interfant consolidation', 'negated'],
  ['Off Interfant since March', 'negated'],
  ['Considering Interfant', 'negated'],
  ['Interfant vs. COG', 'negated', 'Interfant vs.'],
  ['Interfant?', 'negated'],
  ['Discussed Interfant, not started', 'negated'],
  ['Interfant was discontinued for toxicity', 'negated'],
  ['Stopped Interfant', 'negated'],
  ['No Interfant', 'negated'],
  ['Switched from Interfant to AALL15P1', 'negated'],
  ['Treated per Interfant-06. Family later declined Interfant maintenance.', 'negated', ' … '],
  ['Interfant-06 induction\nInterfant-06 consolidation', 'affirmed'],
  ['AALL1731 backbone', undefined],
  ['Interfantile spasms', undefined],
  ['', undefined],
  ['Intrafant regimen', undefined],
  ['interfant-06 protocol', 'affirmed'],
  ['Would consider Interfant if MRD positive', 'negated'],
  ['Started Interfant-06 induction in May', 'affirmed'],
  ['Interfant-06 backbone with off-label blinatumomab', 'affirmed'],
];

const CD19: MarkerSpec = { name: 'CD19', aliases: ['CD19'], kind: 'antigen' };
const KMT2A: MarkerSpec = {
  name: 'KMT2A',
  aliases: ['KMT2A', 'MLL', '11q23'],
  kind: 'rearrangement',
};

// 16 cases.
const codeTexts: Array<[text: string, marker: MarkerSpec, alone: boolean]> = [
  ['CD19 [% of blasts]', CD19, true],
  ['CD19 cells/100 cells in Blood by Flow cytometry', CD19, true],
  ['Cells.CD19/100 cells in Bone marrow', CD19, true],
  ['CD19 IHC', CD19, true],
  ['CD19/CD20 panel', CD19, false],
  ['CD19 and CD22', CD19, false],
  ['CD3+CD19+ cells', CD19, false],
  ['HLA-DR and CD19', CD19, false],
  ['CD190 expression', CD19, false],
  ['B-cell panel', CD19, false],
  ['KMT2A (MLL) rearrangement FISH', KMT2A, true],
  ['MLL gene rearrangement by FISH', KMT2A, true],
  ['11q23 rearrangement', KMT2A, true],
  ['BCR-ABL1 and KMT2A', KMT2A, false],
  ['ETV6-RUNX1 FISH', KMT2A, false],
  ['KMT2A-AFF1 fusion transcript', KMT2A, false],
];

describe('readRegimen', () => {
  it.each(regimens)('%j', (...[text, call, quote]) => {
    const r = readRegimen(text, ['Interfant']);
    expect(r?.call).toBe(call);
    if (quote !== undefined) expect(r?.quote).toContain(quote);
  });

  it('reads any of several names, and nothing for no names', () => {
    expect(readRegimen('Per AALL15P1 protocol', ['Interfant', 'AALL15P1'])?.call).toBe('affirmed');
    expect(readRegimen('Interfant-06 regimen', [])).toBeUndefined();
  });
});

describe('namesMarkerAlone', () => {
  it.each(codeTexts)('%j', (...[text, marker, alone]) =>
    expect(namesMarkerAlone(text, marker)).toBe(alone),
  );
});
