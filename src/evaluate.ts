import { DateTime, Executor } from './cql-engine';
import type { CodeService } from './cql-engine';
import type { Bundle, MedicationRequest, Patient } from 'fhir/r4';
import { BadRequestError, EvaluationError } from './errors';
import type { FhirRecords } from './fhir-record';
import type { Policy } from './policies';

export type Outcome = 'criteria-met' | 'criteria-not-met' | 'documentation-needed';
export type CriterionStatus = 'met' | 'not-met' | 'unknown';

export interface CriterionResult {
  id: string;
  status: CriterionStatus;
  text: string;
  evidence: string[];
  /** What the record showed, in a sentence (for the card detail). */
  detail: string;
}

export interface PolicyResult {
  policy: string;
  outcome: Outcome;
  criteria: CriterionResult[];
  /** The value of each card template's `when` definition (true, false or null). */
  conditions: Record<string, boolean | null>;
}

export interface EvaluationInput {
  /** The patient's data: one Patient plus any Conditions, Observations, medication records... */
  bundle: Bundle;
  /** The MedicationRequest being signed. */
  draftOrder: MedicationRequest;
  /** The other MedicationRequests of the same draftOrders (for "in combination with"). */
  otherDraftOrders?: MedicationRequest[];
  /** The evaluation time; CQL Now()/Today() are fixed to it (UTC). */
  now: Date;
}

const OUTCOMES: readonly string[] = ['criteria-met', 'criteria-not-met', 'documentation-needed'];
const STATUSES: readonly string[] = ['met', 'not-met', 'unknown'];

function patientOf(bundle: Bundle): Patient {
  if (bundle?.resourceType !== 'Bundle' || !Array.isArray(bundle.entry)) {
    throw new BadRequestError('patient data must be a FHIR Bundle with entries');
  }
  const patients = bundle.entry.map((e) => e.resource).filter((r): r is Patient => r?.resourceType === 'Patient');
  if (patients.length !== 1) throw new BadRequestError(`patient data must hold exactly one Patient, found ${patients.length}`);
  const patient = patients[0] as Patient;
  if (!patient.id) throw new BadRequestError('the Patient has no id');
  return patient;
}

/**
 * Only what the policy's retrieves can read reaches the engine: resources of types it never
 * retrieves are left out, and where every retrieve of a type filters on codes, only resources
 * with one of those codes. (The engine would wrap and test every one of them otherwise.)
 */
const MEDICATION_RECORDS = new Set(['MedicationRequest', 'MedicationStatement', 'MedicationAdministration']);

function codedIn(concept: unknown, codes: Set<string>): boolean {
  const codings = (concept as { coding?: unknown } | undefined)?.coding;
  return Array.isArray(codings) && codings.some((c) => c && codes.has(`${String(c.system)}|${String(c.code)}`));
}

export function readableBy(policy: Policy, bundle: Bundle): Bundle {
  const meds = policy.medicationCodes;
  const entry = (bundle.entry ?? []).filter((e) => {
    const r = e.resource as { resourceType?: string; code?: { coding?: unknown }; medicationCodeableConcept?: unknown; medicationReference?: unknown } | undefined;
    if (!r || typeof r.resourceType !== 'string') return false;
    if (!policy.retrievable.has(r.resourceType)) return false;
    if (meds && MEDICATION_RECORDS.has(r.resourceType)) return r.medicationReference !== undefined || codedIn(r.medicationCodeableConcept, meds);
    const codes = policy.retrievable.get(r.resourceType);
    if (!codes) return true;
    const codings = Array.isArray(r.code?.coding) ? (r.code.coding as { system?: unknown; code?: unknown }[]) : [];
    return codings.some((c) => c && codes.has(`${String(c.system)}|${String(c.code)}`));
  });
  return { ...bundle, entry };
}

/**
 * Evaluates policy libraries for one patient and one draft order. Everything reusable (ELM
 * libraries, code service, FHIR model info) is built once and passed in; per evaluation only a
 * light executor and a one-patient data source are created.
 */
export class PolicyEvaluator {
  constructor(
    private readonly codeService: CodeService,
    private readonly data: FhirRecords,
  ) {}

  async evaluate(policy: Policy, input: EvaluationInput): Promise<PolicyResult> {
    const patient = patientOf(input.bundle);
    if (input.draftOrder?.resourceType !== 'MedicationRequest') {
      throw new BadRequestError('the draft order must be a MedicationRequest');
    }
    const parameters = {
      'Draft Order': this.data.wrap(input.draftOrder),
      'Other Draft Orders': (input.otherDraftOrders ?? []).map((o) => this.data.wrap(o)),
    };
    const def = policy.definition;
    let raw: Record<string, unknown> | undefined;
    try {
      const executor = new Executor(policy.library, this.codeService, parameters);
      const results = await executor.exec(this.data.patientSource(readableBy(policy, input.bundle)) as never, DateTime.fromJSDate(input.now, 0));
      raw = results.patientResults[patient.id as string];
    } catch (e) {
      throw new EvaluationError(def.id, `library ${def.library.name} failed: ${(e as Error).message}`, { cause: e });
    }
    return this.toResult(policy, raw);
  }

  private toResult(policy: Policy, raw: Record<string, unknown> | undefined): PolicyResult {
    const def = policy.definition;
    const outcome = raw?.['Outcome'];
    if (typeof outcome !== 'string' || !OUTCOMES.includes(outcome)) {
      throw new EvaluationError(def.id, `"Outcome" returned ${JSON.stringify(outcome)}`);
    }
    const rows = raw?.['Criteria'];
    if (!Array.isArray(rows)) throw new EvaluationError(def.id, '"Criteria" is not a list');
    const byId = new Map<string, CriterionResult>();
    for (const row of rows as Record<string, unknown>[]) {
      const id = String(row.id);
      const status = String(row.status);
      if (!STATUSES.includes(status)) throw new EvaluationError(def.id, `criterion ${id} has status ${status}`);
      const evidence = Array.isArray(row.evidence) ? [...new Set(row.evidence.filter((x): x is string => typeof x === 'string'))] : [];
      byId.set(id, {
        id,
        status: status as CriterionStatus,
        text: String(row.text ?? ''),
        evidence,
        detail: typeof row.detail === 'string' ? row.detail : '',
      });
    }
    const criteria = def.criteria.map((id) => {
      const c = byId.get(id);
      if (!c) throw new EvaluationError(def.id, `library ${def.library.name} returned no row for criterion ${id}`);
      return c;
    });
    const conditions = Object.fromEntries(
      def.cards.map((c) => {
        const v = raw?.[c.when];
        return [c.when, typeof v === 'boolean' ? v : null];
      }),
    );
    return { policy: def.id, outcome: outcome as Outcome, criteria, conditions };
  }
}
