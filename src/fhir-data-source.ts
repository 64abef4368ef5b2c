import { PatientSource, FHIRWrapper } from 'cql-exec-fhir';
import type { Bundle, MedicationRequest } from 'fhir/r4';

/**
 * FHIR R4 data for cql-execution, built so that nothing is parsed per evaluation.
 *
 * cql-exec-fhir parses the FHIR model info (about 100 ms) whenever a PatientSource or
 * FHIRWrapper is constructed, and a PatientSource holds a cursor, so one shared instance
 * cannot serve concurrent evaluations. We construct one of each at startup, take the parsed
 * model info and the Patient record class from them, and give each evaluation its own
 * one-patient source that reuses both.
 */
export class FhirDataSource {
  private readonly wrapper = FHIRWrapper.FHIRv401();
  private readonly modelInfo: unknown;
  private readonly PatientRecord: new (bundle: Bundle, modelInfo: unknown, options: object) => unknown;

  constructor() {
    const template = PatientSource.FHIRv401();
    template.loadBundles([{ resourceType: 'Bundle', type: 'collection', entry: [{ resource: { resourceType: 'Patient', id: 'template' } }] }]);
    const patient = template.currentPatient();
    if (!patient) throw new Error('cql-exec-fhir did not build a patient record');
    this.PatientRecord = patient.constructor as FhirDataSource['PatientRecord'];
    this.modelInfo = (template as unknown as { _modelInfo: unknown })._modelInfo;
  }

  /** A single-patient source for one evaluation; the bundle must hold one Patient. */
  patientSource(bundle: Bundle) {
    const record = new this.PatientRecord(bundle, this.modelInfo, {});
    let current: unknown = record;
    return {
      currentPatient: () => current,
      nextPatient: () => {
        current = undefined;
        return undefined;
      },
    };
  }

  /** A FHIR resource as a CQL value (for FHIR-typed parameters such as the draft order). */
  wrap(resource: MedicationRequest): unknown {
    return this.wrapper.wrap(resource);
  }
}
