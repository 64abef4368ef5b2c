import { PatientSource } from 'cql-exec-fhir';
import type { Bundle, MedicationRequest } from 'fhir/r4';
import { FhirRecords, type ModelInfo } from './fhir-record';

/**
 * FHIR R4 data for cql-execution, built so that nothing is parsed per evaluation.
 *
 * The FHIR 4.0.1 model info is parsed once, through cql-exec-fhir (about 100 ms); records are
 * then served by our own data source (src/fhir-record.ts), which keeps cql-exec-fhir's semantics
 * but shares element accessors per class and reads lazily, so that wrapping resources no longer
 * dominates evaluation. Each evaluation gets its own one-patient source, so concurrent
 * evaluations never share a cursor.
 */
export class FhirDataSource {
  private readonly records: FhirRecords;

  constructor() {
    const source = PatientSource.FHIRv401();
    const modelInfo = (source as unknown as { _modelInfo: ModelInfo })._modelInfo;
    this.records = new FhirRecords(modelInfo);
  }

  /** A single-patient source for one evaluation; the bundle must hold one Patient. */
  patientSource(bundle: Bundle) {
    return this.records.patientSource(bundle);
  }

  /** A FHIR resource as a CQL value (for FHIR-typed parameters such as the draft order). */
  wrap(resource: MedicationRequest): unknown {
    return this.records.wrap(resource);
  }
}
