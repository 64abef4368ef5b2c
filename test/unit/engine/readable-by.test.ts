import { readableBy } from '../../../src/engine/evaluator';
import { examplePolicy } from '../../support';

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
    expect(elrexfio.program.retrievable.get('MedicationRequest')).toBeNull();
    expect(elrexfio.program.retrievable.has('Medication')).toBe(true);
    expect(elrexfio.program.retrievable.has('Coverage')).toBe(false);
    expect(elrexfio.program.retrievable.has('CarePlan')).toBe(false);
    // The ALL policy reads every Observation and Condition (text-coded MRD, reason references).
    expect(blincyto.program.retrievable.get('Observation')).toBeNull();
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
    // Medication records only when coded in the library's value sets (or naming a Medication).
    expect(kept).toEqual(['p', 'ecog', 'mm', 'lenalidomide', 'by-reference']);
    const keptB = readableBy(blincyto.program, {
      resourceType: 'Bundle',
      type: 'collection',
      entry,
    } as never).entry!.map((e) => e.resource!.id);
    // The ALL policy's value sets (its own and PriorAuthCommon's) name the TKIs but no myeloma agent
    // (those are in MyelomaLinesOfTherapy, which only the myeloma policy includes): lenalidomide is left out.
    expect(keptB).toEqual(['p', 'ecog', 'hgb', 'odd', 'htn', 'mm', 'by-reference', 'dasatinib']);
  });
});
