import type { CodeableConcept, Coding, Medication, MedicationRequest } from 'fhir/r4';
import { codeKey, DRUG_CODE_SYSTEMS } from './codes';
import type { Policy } from './load';

export interface PolicyMatch {
  policy: Policy;
  order: MedicationRequest;
  /** How the order was recognised: by a trigger code, or only by the drug's name. */
  matchedBy: 'code' | 'name';
}

/** The Medication each order references outside itself, as resolved before selection. */
export type ReferencedMedications = ReadonlyMap<MedicationRequest, Medication>;

/** An order's drug as selection sees it. */
interface OrderDrug {
  /** The concepts naming it: inline, the Medication's code and ingredients, the reference's display. */
  concepts: CodeableConcept[];
  /** It references a Medication found nowhere: its codes are unknown. */
  unresolved: boolean;
}

function isConcept(v: unknown): v is CodeableConcept {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The order's Medication: contained ("#id"), else the one resolved for its reference. */
function medicationOf(
  order: MedicationRequest,
  ref: string,
  referenced: ReferencedMedications,
): Medication | undefined {
  if (!ref.startsWith('#')) return referenced.get(order);
  return (Array.isArray(order.contained) ? order.contained : []).find(
    (r): r is Medication => r?.resourceType === 'Medication' && `#${r.id}` === ref,
  );
}

function orderDrug(order: MedicationRequest, referenced: ReferencedMedications): OrderDrug {
  const concepts: CodeableConcept[] = [];
  if (isConcept(order.medicationCodeableConcept)) concepts.push(order.medicationCodeableConcept);
  const ref: unknown = order.medicationReference?.reference;
  const med =
    typeof ref === 'string' && ref !== '' ? medicationOf(order, ref, referenced) : undefined;
  if (isConcept(med?.code)) concepts.push(med.code);
  for (const ing of Array.isArray(med?.ingredient) ? med.ingredient : [])
    if (isConcept(ing?.itemCodeableConcept)) concepts.push(ing.itemCodeableConcept);
  if (typeof order.medicationReference?.display === 'string')
    concepts.push({ text: order.medicationReference.display });
  return { concepts, unresolved: ref !== undefined && med === undefined };
}

/** The Codings of a concept, tolerating the odd shapes EHR data can have. */
function codingsOf(c: CodeableConcept | undefined): Coding[] {
  return Array.isArray(c?.coding)
    ? c.coding.filter((x): x is Coding => typeof x === 'object' && x !== null)
    : [];
}

function namesDrug(concepts: CodeableConcept[], names: RegExp[]): boolean {
  const texts = concepts
    .flatMap((c) => [c.text, ...codingsOf(c).map((x) => x.display)])
    .filter((t): t is string => typeof t === 'string' && t !== '');
  return texts.some((t) => names.some((n) => n.test(t)));
}

/** Whether some coding identifies a drug product (RxNorm, NDC, HCPCS with a code). */
function drugCoded(codings: Coding[]): boolean {
  return codings.some(
    (x) => codeKey(x.system, x.code) !== null && DRUG_CODE_SYSTEMS.has(x.system as string),
  );
}

/**
 * Which policies apply to which draft MedicationRequests. A trigger code (RxNorm, NDC in either
 * form, HCPCS) decides, read from the order with the policy's FHIRPath plus the codes of its
 * Medication (contained, or `referenced`: resolved from the request or the FHIR server). Only a
 * drug known to carry no RxNorm, NDC or HCPCS code at all may be recognised by the drug name in
 * its concept text or display, and the match says so: a drug coded as another drug, or whose
 * referenced Medication was found nowhere, is never selected by name.
 */
export function selectPolicies(
  orders: MedicationRequest[],
  policies: Policy[],
  referenced: ReferencedMedications = new Map(),
): PolicyMatch[] {
  const matches: PolicyMatch[] = [];
  for (const order of orders) {
    const drug = orderDrug(order, referenced);
    const own = drug.concepts.flatMap(codingsOf);
    const codes = new Map(
      policies.map((p) => [p, [...p.orderReader.medicationCodes(order), ...own]]),
    );
    const byCode = policies.filter((p) =>
      codes.get(p)!.some((x) => {
        const k = codeKey(x.system, x.code);
        return k !== null && p.triggerCodes.has(k);
      }),
    );
    for (const policy of byCode) matches.push({ policy, order, matchedBy: 'code' });
    if (byCode.length > 0 || drug.unresolved) continue;
    for (const policy of policies) {
      if (!drugCoded(codes.get(policy)!) && namesDrug(drug.concepts, policy.triggerNames))
        matches.push({ policy, order, matchedBy: 'name' });
    }
  }
  return matches;
}
