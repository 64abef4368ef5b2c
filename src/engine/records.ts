import { PatientSource } from 'cql-exec-fhir';
import type { Bundle, Resource } from 'fhir/r4';
import { FhirNode, Model } from './data-source';
import type { ClassInfo, ModelInfo } from './fhir-types';

/* The FHIR data source cql-execution reads: one patient's record over a Bundle (see data-source.ts). */

/** The patient of one evaluation: the Patient resource plus retrieves over its Bundle. */
class PatientRecord extends FhirNode {
  declare _bundle: Bundle;
  declare _byType: Map<string, FhirNode[]>;

  findRecords(profile: string, details?: { datatype?: string }): FhirNode[] {
    const cls = this._model.findClass(details?.datatype ?? profile);
    if (!cls) return [];
    const type = cls.name.replace(/^FHIR\./, '');
    let list = this._byType.get(type);
    if (!list) {
      list = [];
      for (const e of this._bundle.entry ?? []) {
        const r = e.resource as Resource | undefined;
        if (r && typeof r === 'object' && r.resourceType === type)
          list.push(this._model.node(r, cls));
      }
      this._byType.set(type, list);
    }
    return list.slice();
  }

  findRecord(profile: string, details?: { datatype?: string }): FhirNode | undefined {
    return this.findRecords(profile, details)[0];
  }
}

/**
 * Builds patient sources and wraps resources; create once (it keeps what it derives from the
 * model). Each evaluation gets its own one-patient source, so evaluations never share a cursor.
 */
export class FhirRecords {
  /** Over the FHIR 4.0.1 model info, parsed once through cql-exec-fhir (about 100 ms). */
  static forR4(): FhirRecords {
    return new FhirRecords(
      (PatientSource.FHIRv401() as unknown as { _modelInfo: ModelInfo })._modelInfo,
    );
  }

  private readonly model: Model;
  private readonly patientClass: ClassInfo;
  private readonly patientProto: object;

  constructor(modelInfo: ModelInfo) {
    this.model = new Model(modelInfo);
    const cls = this.model.findClass('FHIR.Patient');
    if (!cls) throw new Error('the FHIR model info has no Patient');
    this.patientClass = cls;
    this.patientProto = Object.assign(Object.create(this.model.proto(cls)) as object, {
      findRecords: PatientRecord.prototype.findRecords,
      findRecord: PatientRecord.prototype.findRecord,
    });
  }

  /** A one-patient source for cql-execution; the Bundle must hold the Patient. */
  patientSource(bundle: Bundle): { currentPatient(): unknown; nextPatient(): unknown } {
    const patient = (bundle.entry ?? [])
      .map((e) => e.resource)
      .find((r) => r?.resourceType === 'Patient');
    let current: PatientRecord | undefined;
    if (patient) {
      current = Object.create(this.patientProto) as PatientRecord;
      current._json = patient;
      current._typeInfo = this.patientClass;
      current._model = this.model;
      current._bundle = bundle;
      current._byType = new Map();
    }
    return {
      currentPatient: () => current,
      nextPatient: () => {
        current = undefined;
        return undefined;
      },
    };
  }

  /** A resource as a CQL value (for FHIR-typed parameters such as the draft order). */
  wrap(resource: Resource): FhirNode {
    const cls = this.model.findClass(`FHIR.${resource.resourceType}`);
    if (!cls) throw new Error(`no FHIR class ${resource.resourceType}`);
    return this.model.node(resource, cls);
  }
}
