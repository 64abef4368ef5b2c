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
interface FhirObjectLike {
  _json: { resourceType?: unknown } | null | undefined;
  _typeInfo: { name?: string } | null | undefined;
  _modelInfo: { findClass(name: string): unknown };
  get(field: string): unknown;
}
type FhirObjectClass = { prototype: FhirObjectLike } & (new (json: unknown, typeInfo: unknown, modelInfo: unknown) => FhirObjectLike);

const ABSTRACT_RESOURCE_TYPES = new Set(['Resource', 'DomainResource']);
const PATCHED = Symbol.for('pa-cds.fhir-object-patched');
const MEMO = Symbol.for('pa-cds.fhir-object-memo');

/**
 * Two changes to cql-exec-fhir's FHIRObject, made once for the process (idempotent):
 *
 * - Typing: an element declared as `Resource` (Resource.contained, Bundle.entry.resource) is
 *   typed by its declaration, so CQL's `R is FHIR.Medication` is false for a contained
 *   Medication and its fields are out of reach. Such values get the class their `resourceType`
 *   names.
 * - Memoisation: every property read builds new wrapper objects (each defining a getter per
 *   element), which dominated evaluation time. Data is read-only during an evaluation, so each
 *   object keeps what it has already read.
 */
function patchFhirObject(FHIRObject: FhirObjectClass): void {
  const proto = FHIRObject.prototype as FhirObjectLike & { [PATCHED]?: boolean };
  if (proto[PATCHED]) return;
  const original = proto.get;
  const retype = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.some((v) => v instanceof FHIRObject) ? value.map(retype) : value;
    if (!(value instanceof FHIRObject)) return value;
    const resourceType = value._json?.resourceType;
    if (typeof resourceType !== 'string' || !ABSTRACT_RESOURCE_TYPES.has(value._typeInfo?.name ?? '')) return value;
    const actual = value._modelInfo.findClass(`FHIR.${resourceType}`);
    return actual ? new FHIRObject(value._json, actual, value._modelInfo) : value;
  };
  proto.get = function get(this: FhirObjectLike & { [MEMO]?: Map<string, unknown> }, field: string) {
    let memo = this[MEMO];
    if (memo === undefined) {
      memo = new Map();
      Object.defineProperty(this, MEMO, { value: memo, enumerable: false });
    } else if (memo.has(field)) {
      return memo.get(field);
    }
    const value = retype(original.call(this, field));
    memo.set(field, value);
    return value;
  };
  proto[PATCHED] = true;
}

/** findClass resolves names through several maps and string rewrites on every call; the model
 *  info never changes, so its answers are kept. */
function memoizeFindClass(modelInfo: { findClass(name: string): unknown } & { [MEMO]?: boolean }): void {
  if (modelInfo[MEMO]) return;
  const original = modelInfo.findClass.bind(modelInfo);
  const cache = new Map<string, unknown>();
  modelInfo.findClass = (name: string) => {
    if (!cache.has(name)) cache.set(name, original(name));
    return cache.get(name);
  };
  modelInfo[MEMO] = true;
}

type PatientRecordLike = { findRecords(profile: string, details?: { datatype?: string }): unknown[] };

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
    patchFhirObject(this.wrapper.wrap({ resourceType: 'Basic' } as never).constructor as FhirObjectClass);
    memoizeFindClass(this.modelInfo as FhirObjectLike['_modelInfo']);
    memoizeFindClass((this.wrapper as unknown as { _modelInfo: FhirObjectLike['_modelInfo'] })._modelInfo);
  }

  /** A single-patient source for one evaluation; the bundle must hold one Patient. */
  patientSource(bundle: Bundle) {
    const record = new this.PatientRecord(bundle, this.modelInfo, {}) as PatientRecordLike;
    // Each retrieve would filter the bundle and wrap every resource again; keep one wrapped list
    // per type for this evaluation (copied out, so the engine can never change the cache).
    const findRecords = record.findRecords.bind(record);
    const byType = new Map<string, unknown[]>();
    record.findRecords = (profile, details) => {
      const key = details?.datatype ?? profile;
      let records = byType.get(key);
      if (!records) {
        records = findRecords(profile, details);
        byType.set(key, records);
      }
      return records.slice();
    };
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
