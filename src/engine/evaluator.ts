import type { Bundle, MedicationRequest } from 'fhir/r4';
import { DateTime, Executor, type CodeService, type Library } from './cql-engine';
import type { FhirRecords } from './records';
import { derive, derivedParameters, type Derivation, type Derived } from './derive';
import { EngineInputError, EvaluationError } from './errors';

/** A compiled library ready to run, with what its retrieves can read (built once at startup). */
export interface Program {
  /** The library's name (its ELM identifier). */
  name: string;
  library: Library;
  /**
   * Resource type → the codes its retrieves filter on ("system|code"), or null when some retrieve
   * of that type takes every resource. Types it never retrieves are absent.
   */
  retrievable: Map<string, Set<string> | null>;
  /** When the library reads medication records only through value sets: every code of them. */
  medicationCodes?: Set<string>;
  /** What the engine derives from the record before the CQL runs (see derive/types.ts). */
  derivation: Derivation;
}

/** What one evaluation reads: one patient's record and the order being signed. */
export interface EvaluationInput {
  /** The Patient the record is about (the record holds exactly this one Patient). */
  patientId: string;
  /** One Patient plus any Conditions, Observations, medication records... */
  bundle: Bundle;
  /** The MedicationRequest being signed (CQL parameter "Draft Order"). */
  draftOrder: MedicationRequest;
  /** The other MedicationRequests of the same request (CQL parameter "Other Draft Orders"). */
  otherDraftOrders: MedicationRequest[];
  /** The evaluation time; CQL Now()/Today() are fixed to it (UTC). */
  now: Date;
  /** The derived data, when already computed (a worker gets it from the caller). */
  derived?: Derived;
}

/** The values of the named definitions, as the engine returned them. */
export type RawResults = Record<string, unknown>;

/** Runs a program; returns the named definitions' values. In process or in a worker pool. */
export type Evaluate = (
  program: Program,
  input: EvaluationInput,
  expressions: readonly string[],
) => Promise<RawResults>;

const MEDICATION_RECORDS = new Set([
  'MedicationRequest',
  'MedicationStatement',
  'MedicationAdministration',
]);

function codedIn(concept: unknown, codes: Set<string>): boolean {
  const codings = (concept as { coding?: unknown } | undefined)?.coding;
  return (
    Array.isArray(codings) &&
    codings.some((c) => c && codes.has(`${String(c.system)}|${String(c.code)}`))
  );
}

/**
 * Only what the program's retrieves can read reaches the engine: resources of types it never
 * retrieves are left out, and where every retrieve of a type filters on codes, only resources
 * with one of those codes. (The engine would wrap and test every one of them otherwise.)
 */
export function readableBy(program: Program, bundle: Bundle): Bundle {
  const meds = program.medicationCodes;
  const entry = (bundle.entry ?? []).filter((e) => {
    const r = e.resource as
      | {
          resourceType?: string;
          code?: { coding?: unknown };
          medicationCodeableConcept?: unknown;
          medicationReference?: unknown;
        }
      | undefined;
    if (!r || typeof r.resourceType !== 'string') return false;
    if (!program.retrievable.has(r.resourceType)) return false;
    if (meds && MEDICATION_RECORDS.has(r.resourceType))
      return r.medicationReference !== undefined || codedIn(r.medicationCodeableConcept, meds);
    const codes = program.retrievable.get(r.resourceType);
    if (!codes) return true;
    const codings = Array.isArray(r.code?.coding)
      ? (r.code.coding as { system?: unknown; code?: unknown }[])
      : [];
    return codings.some((c) => c && codes.has(`${String(c.system)}|${String(c.code)}`));
  });
  return { ...bundle, entry };
}

/**
 * Evaluates programs for one patient and one draft order. Everything reusable (ELM libraries,
 * code service, FHIR model info) is built once and passed in; per evaluation only a light
 * executor and a one-patient data source are created.
 */
export class Evaluator {
  constructor(
    private readonly codeService: CodeService,
    private readonly data: FhirRecords,
  ) {}

  readonly evaluate: Evaluate = async (program, input, expressions) => {
    if (input.draftOrder?.resourceType !== 'MedicationRequest')
      throw new EngineInputError('the draft order must be a MedicationRequest');
    const derived = input.derived ?? derive(program.derivation, input);
    const parameters = {
      'Draft Order': this.data.wrap(input.draftOrder),
      'Other Draft Orders': input.otherDraftOrders.map((o) => this.data.wrap(o)),
      ...derivedParameters(derived),
    };
    let raw: Record<string, unknown> | undefined;
    try {
      const executor = new Executor(program.library, this.codeService, parameters);
      const results = await executor.exec(
        this.data.patientSource(readableBy(program, input.bundle)) as never,
        DateTime.fromJSDate(input.now, 0),
      );
      raw = results.patientResults[input.patientId];
    } catch (e) {
      throw new EvaluationError(
        program.name,
        `library ${program.name} failed: ${(e as Error).message}`,
        { cause: e },
      );
    }
    if (!raw) throw new EngineInputError(`the record holds no Patient/${input.patientId}`);
    return Object.fromEntries(expressions.map((name) => [name, raw[name]]));
  };
}
