import type { MedicationRequest } from 'fhir/r4';
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
  const ELREXFIO = examplePolicy('myelomaMet').definition.id;
  const BLINCYTO = examplePolicy('allMet').definition.id;
  const ids = (o: MedicationRequest, bundles = []) =>
    selectPolicies([o], policies, bundles).map((m) => `${m.policy.definition.id}:${m.matchedBy}`);

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

  it('falls back to the drug name and says so', () => {
    expect(ids(order({ text: 'Blinatumomab 28 mcg/day continuous infusion' }))).toEqual([
      `${BLINCYTO}:name`,
    ]);
    expect(
      ids(
        order({
          coding: [
            {
              system: 'http://www.nlm.nih.gov/research/umls/rxnorm',
              code: '999999',
              display: 'ELREXFIO 44 MG/1.1 ML',
            },
          ],
        }),
      ),
    ).toEqual([`${ELREXFIO}:name`]);
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
