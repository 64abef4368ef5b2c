import type {
  Bundle,
  CodeableConcept,
  Coding,
  Medication,
  MedicationRequest,
  Resource,
} from 'fhir/r4';
import { codeKey } from './codes';
import type { Policy } from './load';

export interface PolicyMatch {
  policy: Policy;
  order: MedicationRequest;
  /** How the order was recognised: by a trigger code, or only by the drug's name. */
  matchedBy: 'code' | 'name';
}

/** The Medication an order points to: contained ("#id"), or in one of the given bundles. */
function referencedMedication(
  order: MedicationRequest,
  bundles: (Bundle | undefined)[],
): Medication | undefined {
  const ref = order.medicationReference?.reference;
  if (typeof ref !== 'string' || ref === '') return undefined;
  if (ref.startsWith('#')) {
    return (Array.isArray(order.contained) ? order.contained : []).find(
      (r): r is Medication => r.resourceType === 'Medication' && `#${r.id}` === ref,
    );
  }
  for (const b of bundles) {
    for (const e of b?.entry ?? []) {
      const r = e.resource as Resource | undefined;
      if (
        r?.resourceType === 'Medication' &&
        (ref === `Medication/${r.id}` || ref.endsWith(`/Medication/${r.id}`) || e.fullUrl === ref)
      ) {
        return r as Medication;
      }
    }
  }
  return undefined;
}

/** The concepts naming an order's drug: inline, or the Medication's code and ingredients. */
export function orderConcepts(
  order: MedicationRequest,
  bundles: (Bundle | undefined)[] = [],
): CodeableConcept[] {
  const out: CodeableConcept[] = [];
  if (order.medicationCodeableConcept) out.push(order.medicationCodeableConcept);
  const med = referencedMedication(order, bundles);
  if (med?.code && typeof med.code === 'object') out.push(med.code);
  for (const ing of Array.isArray(med?.ingredient) ? med.ingredient : [])
    if (ing?.itemCodeableConcept && typeof ing.itemCodeableConcept === 'object')
      out.push(ing.itemCodeableConcept);
  if (typeof order.medicationReference?.display === 'string')
    out.push({ text: order.medicationReference.display });
  return out;
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

/**
 * Which policies apply to which draft MedicationRequests: a trigger code (RxNorm, NDC in
 * either form, HCPCS) decides, read from the order with the policy's FHIRPath plus the codes of
 * a Medication the order references elsewhere in the request; where no policy's code matches,
 * the drug name in the concept text or display does, and the match says so.
 */
export function selectPolicies(
  orders: MedicationRequest[],
  policies: Policy[],
  bundles: (Bundle | undefined)[] = [],
): PolicyMatch[] {
  const matches: PolicyMatch[] = [];
  for (const order of orders) {
    const concepts = orderConcepts(order, bundles);
    const referenced = concepts.flatMap(codingsOf);
    const byCode = policies.filter((p) => {
      const codings = [...p.orderReader.medicationCodes(order), ...referenced];
      return codings.some((x) => {
        const k = codeKey(x.system, x.code);
        return k !== null && p.triggerCodes.has(k);
      });
    });
    if (byCode.length > 0) {
      for (const policy of byCode) matches.push({ policy, order, matchedBy: 'code' });
      continue;
    }
    for (const policy of policies) {
      if (namesDrug(concepts, policy.triggerNames))
        matches.push({ policy, order, matchedBy: 'name' });
    }
  }
  return matches;
}
