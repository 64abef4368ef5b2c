import { readableBy } from '../src/evaluate';
import { loadRuntime } from '../src/runtime';

describe('what a policy can read', () => {
  const { policies } = loadRuntime();
  const elrexfio = policies.find((p) => p.definition.id === 'CC-0248')!;
  const blincyto = policies.find((p) => p.definition.id === 'CC-0126')!;

  it('is derived from the retrieves of the library and its includes', () => {
    const obs = elrexfio.retrievable.get('Observation');
    expect(obs).toBeInstanceOf(Set);
    expect([...obs!]).toEqual(expect.arrayContaining(['http://loinc.org|89247-1', 'http://snomed.info/sct|423740007', 'http://loinc.org|97509-4']));
    expect([...elrexfio.retrievable.get('Condition')!]).toEqual(expect.arrayContaining(['http://hl7.org/fhir/sid/icd-10-cm|C90.02']));
    expect(elrexfio.retrievable.get('MedicationRequest')).toBeNull();
    expect(elrexfio.retrievable.has('Medication')).toBe(true);
    expect(elrexfio.retrievable.has('Coverage')).toBe(false);
    expect(elrexfio.retrievable.has('CarePlan')).toBe(false);
    // CC-0126 reads every Observation and Condition (text-coded MRD, reason references).
    expect(blincyto.retrievable.get('Observation')).toBeNull();
    expect(blincyto.retrievable.get('Condition')).toBeNull();
    expect(blincyto.retrievable.get('CarePlan')).toBeNull();
  });

  it('leaves out resources no retrieve can reach', () => {
    const entry = [
      { resourceType: 'Patient', id: 'p' },
      { resourceType: 'Observation', id: 'ecog', code: { coding: [{ system: 'http://loinc.org', code: '89247-1' }] } },
      { resourceType: 'Observation', id: 'hgb', code: { coding: [{ system: 'http://loinc.org', code: '718-7' }] } },
      { resourceType: 'Observation', id: 'odd', code: { coding: 'not-a-list' } },
      { resourceType: 'Condition', id: 'htn', code: { coding: [{ system: 'http://hl7.org/fhir/sid/icd-10-cm', code: 'I10' }] } },
      { resourceType: 'Condition', id: 'mm', code: { coding: [{ system: 'http://hl7.org/fhir/sid/icd-10-cm', code: 'C90.00' }] } },
      { resourceType: 'MedicationRequest', id: 'any' },
      { resourceType: 'Coverage', id: 'cov' },
    ].map((resource) => ({ resource }));
    const kept = readableBy(elrexfio, { resourceType: 'Bundle', type: 'collection', entry } as never).entry!.map((e) => e.resource!.id);
    expect(kept).toEqual(['p', 'ecog', 'mm', 'any']);
    const keptB = readableBy(blincyto, { resourceType: 'Bundle', type: 'collection', entry } as never).entry!.map((e) => e.resource!.id);
    expect(keptB).toEqual(['p', 'ecog', 'hgb', 'odd', 'htn', 'mm', 'any']);
  });
});
