import { Code } from 'cql-execution';
import { FhirRecords } from '../../../src/engine/records';

/**
 * A retrieve by code leaves out, from the JSON, only resources that certainly cannot match: the
 * engine applies its own filter to the rest. Whatever the shape of the coded element, a resource
 * the engine would match is never left out.
 */
const records = FhirRecords.forR4();
const patient = { resourceType: 'Patient', id: 'p' };

function retrieve(resources: object[], type: string, codeProperty: string, codes: unknown) {
  const source = records.patientSource({
    resourceType: 'Bundle',
    type: 'collection',
    entry: [patient, ...resources].map((resource) => ({ resource })),
  } as never);
  const current = source.currentPatient() as {
    findRecords(profile: string, details: object): { getId(): unknown }[];
  };
  return current
    .findRecords(type, { datatype: `{http://hl7.org/fhir}${type}`, codeProperty, codes })
    .map((r) => r.getId());
}

describe('retrieves by code', () => {
  const valueSet = { codes: [new Code('C90.02', 'http://hl7.org/fhir/sid/icd-10-cm')] };

  it('keeps a CodeableConcept with a matching code and leaves out one without', () => {
    const match = {
      resourceType: 'Condition',
      id: 'm',
      code: { coding: [{ system: 'http://hl7.org/fhir/sid/icd-10-cm', code: 'C90.02' }] },
    };
    const other = {
      resourceType: 'Condition',
      id: 'o',
      code: { coding: [{ system: 'http://hl7.org/fhir/sid/icd-10-cm', code: 'I10' }] },
    };
    const none = { resourceType: 'Condition', id: 'n' };
    expect(retrieve([match, other, none], 'Condition', 'code', valueSet)).toEqual(['m']);
  });

  it('keeps an element typed Coding whose code matches (Encounter.class)', () => {
    const encounter = {
      resourceType: 'Encounter',
      id: 'e',
      status: 'finished',
      class: { system: 'http://s', code: 'X1' },
    };
    expect(retrieve([encounter], 'Encounter', 'class', [new Code('X1', 'http://s')])).toEqual([
      'e',
    ]);
  });

  it('leaves a path into an element ("code.coding") to the engine', () => {
    const c = {
      resourceType: 'Condition',
      id: 'c',
      code: { coding: [{ system: 'http://s', code: 'Z' }] },
    };
    expect(retrieve([c], 'Condition', 'code.coding', valueSet)).toEqual(['c']);
  });

  it('keeps a choice element it cannot read for certain (a medication by reference)', () => {
    const byRef = {
      resourceType: 'MedicationRequest',
      id: 'r',
      status: 'active',
      intent: 'order',
      medicationReference: { reference: 'Medication/x' },
      subject: { reference: 'Patient/p' },
    };
    expect(retrieve([byRef], 'MedicationRequest', 'medication', valueSet)).toEqual(['r']);
  });
});
