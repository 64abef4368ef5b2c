import { readableBy } from '../../../src/engine/evaluator';
import { deriveFor, examplePolicy } from '../../support';

describe('what a policy can read', () => {
  // The myeloma policy and the ALL policy, by the roles their example scenarios play in the kit.
  const elrexfio = examplePolicy('myelomaMet');
  const blincyto = examplePolicy('allMet');

  it('is derived from the retrieves of the library and its includes', () => {
    const obs = elrexfio.program.retrievable.get('Observation');
    expect(obs).toBeInstanceOf(Set);
    expect([...obs!]).toEqual(
      expect.arrayContaining([
        'http://loinc.org|89247-1',
        'http://snomed.info/sct|423740007',
        'http://loinc.org|97509-4',
      ]),
    );
    expect([...elrexfio.program.retrievable.get('Condition')!]).toEqual(
      expect.arrayContaining(['http://hl7.org/fhir/sid/icd-10-cm|C90.02']),
    );
    // Medication records reach the CQL as derived data ("Medication Records"), not by retrieve.
    expect(elrexfio.program.retrievable.has('MedicationRequest')).toBe(false);
    expect(elrexfio.program.retrievable.has('Medication')).toBe(true);
    expect(elrexfio.program.retrievable.has('Coverage')).toBe(false);
    expect(elrexfio.program.retrievable.has('CarePlan')).toBe(false);
    // The ALL policy reads CD19, MRD and KMT2A results as derived readings ("Text Readings"), so
    // it retrieves only disease-status Observations; every Condition (reason references).
    expect([...blincyto.program.retrievable.get('Observation')!]).toEqual([
      'http://loinc.org|97509-4',
    ]);
    expect(blincyto.program.retrievable.get('Condition')).toBeNull();
    expect(blincyto.program.retrievable.get('CarePlan')).toBeNull();
  });

  it('leaves out resources no retrieve can reach', () => {
    const entry = [
      { resourceType: 'Patient', id: 'p' },
      {
        resourceType: 'Observation',
        id: 'ecog',
        code: { coding: [{ system: 'http://loinc.org', code: '89247-1' }] },
      },
      {
        resourceType: 'Observation',
        id: 'hgb',
        code: { coding: [{ system: 'http://loinc.org', code: '718-7' }] },
      },
      { resourceType: 'Observation', id: 'odd', code: { coding: 'not-a-list' } },
      {
        resourceType: 'Condition',
        id: 'htn',
        code: { coding: [{ system: 'http://hl7.org/fhir/sid/icd-10-cm', code: 'I10' }] },
      },
      {
        resourceType: 'Condition',
        id: 'mm',
        code: { coding: [{ system: 'http://hl7.org/fhir/sid/icd-10-cm', code: 'C90.00' }] },
      },
      { resourceType: 'MedicationRequest', id: 'uncoded' },
      {
        resourceType: 'MedicationRequest',
        id: 'lenalidomide',
        medicationCodeableConcept: {
          coding: [{ system: 'http://www.nlm.nih.gov/research/umls/rxnorm', code: '602910' }],
        },
      },
      {
        resourceType: 'MedicationRequest',
        id: 'ondansetron',
        medicationCodeableConcept: {
          coding: [{ system: 'http://www.nlm.nih.gov/research/umls/rxnorm', code: '312086' }],
        },
      },
      {
        resourceType: 'MedicationAdministration',
        id: 'by-reference',
        medicationReference: { reference: 'Medication/m1' },
      },
      {
        resourceType: 'MedicationStatement',
        id: 'dasatinib',
        medicationCodeableConcept: {
          coding: [{ system: 'http://www.nlm.nih.gov/research/umls/rxnorm', code: '475342' }],
        },
      },
      { resourceType: 'Coverage', id: 'cov' },
    ].map((resource) => ({ resource }));
    const kept = readableBy(elrexfio.program, {
      resourceType: 'Bundle',
      type: 'collection',
      entry,
    } as never).entry!.map((e) => e.resource!.id);
    // Medication records are not retrieved: they reach the CQL as derived "Medication Records".
    expect(kept).toEqual(['p', 'ecog', 'mm']);
    const keptB = readableBy(blincyto.program, {
      resourceType: 'Bundle',
      type: 'collection',
      entry,
    } as never).entry!.map((e) => e.resource!.id);
    expect(keptB).toEqual(['p', 'htn', 'mm']);
  });

  it("derives medication records only from records coded in the policy's value sets", () => {
    const rx = (id: string, code: string) => ({
      resource: {
        resourceType: 'MedicationRequest',
        id,
        status: 'active',
        authoredOn: '2026-01-01',
        medicationCodeableConcept: {
          coding: [{ system: 'http://www.nlm.nih.gov/research/umls/rxnorm', code }],
        },
      },
    });
    const bundle = {
      resourceType: 'Bundle',
      type: 'collection',
      entry: [rx('lenalidomide', '602910'), rx('ondansetron', '312086'), rx('dasatinib', '475342')],
    } as never;
    const refs = (policy: typeof elrexfio) =>
      deriveFor(policy.program, bundle, new Date('2026-06-15T00:00:00Z')).medicationRecords.map(
        (r) => r.ref,
      );
    // The myeloma policy's agents (its derived lines-of-therapy value sets) and the ALL policy's
    // TKIs; ondansetron is in neither.
    expect(refs(elrexfio)).toEqual(['MedicationRequest/lenalidomide']);
    expect(refs(blincyto)).toEqual(['MedicationRequest/dasatinib']);
  });
});
