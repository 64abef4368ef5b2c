import { PatientSource } from 'cql-exec-fhir';
import type { Bundle, Resource } from 'fhir/r4';
import { FhirNode, Model } from './data-source';
import type { ClassInfo, ModelInfo } from './fhir-types';

/* The FHIR data source cql-execution reads: one patient's record over a Bundle (see data-source.ts). */

interface RetrieveDetails {
  datatype?: string;
  codeProperty?: string;
  codes?: unknown;
}

/** The code strings of a retrieve's codes (a value set, a code, or a list of them), once per object. */
const codeStrings = new WeakMap<object, Set<string> | null>();
function codesOf(codes: unknown): Set<string> | null {
  if (codes === null || typeof codes !== 'object') return null;
  let set = codeStrings.get(codes);
  if (set === undefined) {
    const list = Array.isArray(codes)
      ? codes
      : Array.isArray((codes as { codes?: unknown }).codes)
        ? (codes as { codes: unknown[] }).codes
        : [codes];
    const strings = list.map((c) => (c as { code?: unknown } | null)?.code);
    set = strings.every((c) => typeof c === 'string') ? new Set(strings as string[]) : null;
    codeStrings.set(codes, set);
  }
  return set;
}

/** The code strings a resource's JSON holds at a property (a code, a CodeableConcept or a list). */
function jsonCodes(value: unknown, out: string[]): boolean {
  if (typeof value === 'string') out.push(value);
  else if (Array.isArray(value)) return value.every((v) => jsonCodes(v, out));
  else if (value !== null && typeof value === 'object') {
    const coding = (value as { coding?: unknown }).coding;
    // A Coding (an element typed Coding, such as Encounter.class) is itself a code.
    const own = (value as { code?: unknown }).code;
    if (typeof own === 'string') out.push(own);
    if (coding === undefined) return own === undefined || typeof own === 'string';
    if (!Array.isArray(coding)) return false;
    for (const c of coding) {
      const code = (c as { code?: unknown } | null)?.code;
      if (typeof code === 'string') out.push(code);
    }
  } else if (value !== undefined) return false;
  return true;
}

/**
 * Whether a resource certainly fails a retrieve's code filter: cql-execution matches codes by
 * equal `code` strings (and systems), so a resource none of whose code strings is among the
 * retrieve's cannot match. Anything this cannot read for certain is kept for the engine to decide.
 */
function certainlyNoMatch(json: Record<string, unknown>, property: string, codes: Set<string>) {
  // A path into an element ("code.coding") is not a property of the JSON: leave it to the engine.
  if (property.includes('.')) return false;
  const found: string[] = [];
  for (const key of [property, `${property}CodeableConcept`]) {
    if (!jsonCodes(json[key], found)) return false;
  }
  if (
    Object.keys(json).some(
      (k) => k !== property && k.startsWith(property) && !k.endsWith('CodeableConcept'),
    )
  )
    return false;
  return !found.some((c) => codes.has(c));
}

/** The patient of one evaluation: the Patient resource plus retrieves over its Bundle. */
class PatientRecord extends FhirNode {
  declare _bundle: Bundle;
  declare _byType: Map<string, FhirNode[]>;

  findRecords(profile: string, details?: RetrieveDetails): FhirNode[] {
    const all = this.allOfType(profile, details);
    // A retrieve by code: leave out, from the JSON, what certainly does not match (the engine
    // still applies its own filter to the rest), instead of making CQL codes of every resource.
    const codes = details?.codeProperty ? codesOf(details.codes) : null;
    if (!codes || !details?.codeProperty) return all;
    const property = details.codeProperty;
    return all.filter(
      (n) => !certainlyNoMatch(n._json as Record<string, unknown>, property, codes),
    );
  }

  private allOfType(profile: string, details?: RetrieveDetails): FhirNode[] {
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

  findRecord(profile: string, details?: RetrieveDetails): FhirNode | undefined {
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
      allOfType: (PatientRecord.prototype as unknown as { allOfType: unknown }).allOfType,
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
