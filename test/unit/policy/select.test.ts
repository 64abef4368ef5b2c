import type { Medication, MedicationRequest } from 'fhir/r4';
import { normalizeNdc } from '../../../src/policy/codes';
import { selectPolicies } from '../../../src/policy/select';
import { content, examplePolicy } from '../../support';

describe('normalizeNdc', () => {
  it.each([
    ['0069-4494-01', '00069-4494-01'], // 4-4-2
    ['55513-160-01', '55513-0160-01'], // 5-3-2
    ['12345-6789-1', '12345-6789-01'], // 5-4-1
    ['00069449401', '00069-4494-01'], // 11 digits, no hyphens
    [' 00069-4494-01 ', '00069-4494-01'],
    ['not-an-ndc', 'not-an-ndc'],
  ])('%s -> %s', (input, out) => expect(normalizeNdc(input)).toBe(out));
});

describe('selectPolicies', () => {
  const { policies } = content();
  const order = (
    medicationCodeableConcept: MedicationRequest['medicationCodeableConcept'],
    extra: Partial<MedicationRequest> = {},
  ): MedicationRequest => ({
    resourceType: 'MedicationRequest',
    id: 'o1',
    status: 'draft',
    intent: 'order',
    subject: { reference: 'Patient/p' },
    medicationCodeableConcept,
    ...extra,
  });
  const RXNORM = 'http://www.nlm.nih.gov/research/umls/rxnorm';
  const ELREXFIO = examplePolicy('myelomaMet').definition.id;
  const BLINCYTO = examplePolicy('allMet').definition.id;
  const ids = (o: MedicationRequest, referenced = new Map<MedicationRequest, Medication>()) =>
    selectPolicies([o], policies, referenced).map(
      (m) => `${m.policy.definition.id}:${m.matchedBy}`,
    );

  it('matches Elrexfio by HCPCS J1323 and by a 10-digit NDC in 11-digit form', () => {
    expect(
      ids(
        order({
          coding: [
            { system: 'https://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets', code: 'J1323' },
          ],
        }),
      ),
    ).toEqual([`${ELREXFIO}:code`]);
    expect(
      ids(order({ coding: [{ system: 'http://hl7.org/fhir/sid/ndc', code: '00069449401' }] })),
    ).toEqual([`${ELREXFIO}:code`]);
  });

  it('matches Blincyto by RxNorm product code and through a contained Medication', () => {
    expect(
      ids(
        order({
          coding: [{ system: 'http://www.nlm.nih.gov/research/umls/rxnorm', code: '1597263' }],
        }),
      ),
    ).toEqual([`${BLINCYTO}:code`]);
    const contained = order(undefined, {
      medicationReference: { reference: '#m' },
      contained: [
        {
          resourceType: 'Medication',
          id: 'm',
          code: {
            coding: [
              { system: 'https://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets', code: 'J9039' },
            ],
          },
        },
      ],
    });
    expect(ids(contained)).toEqual([`${BLINCYTO}:code`]);
  });

  it('falls back to the drug name and says so, when the drug carries no RxNorm, NDC or HCPCS code', () => {
    expect(ids(order({ text: 'Blinatumomab 28 mcg/day continuous infusion' }))).toEqual([
      `${BLINCYTO}:name`,
    ]);
    // A local formulary code is not a drug code: the display still names the drug.
    expect(
      ids(
        order({
          coding: [
            {
              system: 'http://ehr.example.org/formulary',
              code: 'F-7731',
              display: 'ELREXFIO 44 MG/1.1 ML',
            },
          ],
        }),
      ),
    ).toEqual([`${ELREXFIO}:name`]);
    // A drug-system coding without a code identifies nothing.
    expect(ids(order({ coding: [{ system: RXNORM, display: 'Blincyto 35 mcg' }] }))).toEqual([
      `${BLINCYTO}:name`,
    ]);
  });

  // Rule 10: a drug coded as another drug is never taken for a policy drug by its name.
  const OTHER_DRUG: [string, string][] = [
    [RXNORM, '121191'], // rituximab
    ['http://hl7.org/fhir/sid/ndc', '50242-051-21'], // a rituximab NDC
    ['https://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets', 'J9312'], // rituximab HCPCS
    ['http://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets', 'J9312'],
    [RXNORM, '999999'], // an RxNorm code of no policy: still a coded drug
  ];

  it.each(OTHER_DRUG)('never selects by name an inline concept coded %s|%s', (system, code) => {
    expect(
      ids(order({ coding: [{ system, code, display: 'blinatumomab' }], text: 'Blincyto' })),
    ).toEqual([]);
  });

  it.each(OTHER_DRUG)(
    'never selects by name a contained Medication coded %s|%s',
    (system, code) => {
      const contained = order(undefined, {
        medicationReference: { reference: '#m', display: 'Blincyto' },
        contained: [
          {
            resourceType: 'Medication',
            id: 'm',
            code: { coding: [{ system, code }], text: 'blinatumomab' },
          },
        ],
      });
      expect(ids(contained)).toEqual([]);
    },
  );

  it('never selects by name a Medication whose ingredient carries a drug code', () => {
    const contained = order(undefined, {
      medicationReference: { reference: '#m' },
      contained: [
        {
          resourceType: 'Medication',
          id: 'm',
          code: { text: 'blinatumomab compounded' },
          ingredient: [{ itemCodeableConcept: { coding: [{ system: RXNORM, code: '121191' }] } }],
        },
      ],
    });
    expect(ids(contained)).toEqual([]);
  });

  describe('a Medication referenced outside the order (resolved before selection)', () => {
    const referencing = order(undefined, {
      medicationReference: { reference: 'Medication/med-1', display: 'Blincyto 35 mcg' },
    });
    const med = (code: Medication['code']): Map<MedicationRequest, Medication> =>
      new Map([[referencing, { resourceType: 'Medication', id: 'med-1', code }]]);

    it('is selected by its trigger code', () => {
      expect(
        ids(
          referencing,
          med({
            coding: [
              { system: 'http://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets', code: 'J9039' },
            ],
          }),
        ),
      ).toEqual([`${BLINCYTO}:code`]);
    });

    it('is selected by name only when it carries no drug code', () => {
      expect(ids(referencing, med({ text: 'blinatumomab' }))).toEqual([`${BLINCYTO}:name`]);
      expect(
        ids(
          referencing,
          med({ coding: [{ system: RXNORM, code: '121191' }], text: 'blinatumomab' }),
        ),
      ).toEqual([]);
    });

    it('found nowhere, is not selected, even by the display of the reference', () => {
      expect(ids(referencing)).toEqual([]);
      const missingContained = order(undefined, {
        medicationReference: { reference: '#gone', display: 'Blincyto' },
      });
      expect(ids(missingContained)).toEqual([]);
    });

    it('is looked up for that order only', () => {
      const other = order(undefined, { medicationReference: { reference: 'Medication/med-1' } });
      expect(
        ids(
          other,
          med({
            coding: [
              { system: 'http://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets', code: 'J9039' },
            ],
          }),
        ),
      ).toEqual([]);
    });
  });

  it('a reference with only a display is a name, selected as one', () => {
    expect(ids(order(undefined, { medicationReference: { display: 'Elrexfio 76 mg' } }))).toEqual([
      `${ELREXFIO}:name`,
    ]);
  });

  it('selects nothing for other drugs', () => {
    expect(
      ids(
        order({
          coding: [{ system: 'http://www.nlm.nih.gov/research/umls/rxnorm', code: '475342' }],
          text: 'dasatinib',
        }),
      ),
    ).toEqual([]);
  });
});
