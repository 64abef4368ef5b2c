import type { Bundle, CodeableConcept, Coding, Medication, MedicationRequest, Resource } from 'fhir/r4';
import type { Policy } from './policies';

const NDC = 'http://hl7.org/fhir/sid/ndc';

export interface PolicyMatch {
  policy: Policy;
  order: MedicationRequest;
  /** How the order was recognised: by a trigger code, or only by the drug's name. */
  matchedBy: 'code' | 'name';
}

/**
 * NDC in the 11-digit 5-4-2 form. A hyphenated 10-digit code (4-4-2, 5-3-2 or 5-4-1) is padded
 * in the short segment; an unhyphenated 11-digit code is split. Anything else is returned as is.
 */
export function normalizeNdc(code: string): string {
  const parts = code.trim().split('-');
  if (parts.length === 3 && parts.every((p) => /^\d+$/.test(p))) {
    const [a, b, c] = parts as [string, string, string];
    return `${a.padStart(5, '0')}-${b.padStart(4, '0')}-${c.padStart(2, '0')}`;
  }
  const digits = code.replace(/\D/g, '');
  if (digits.length === 11 && /^\d+$/.test(code.trim())) return `${digits.slice(0, 5)}-${digits.slice(5, 9)}-${digits.slice(9)}`;
  return code.trim();
}

function key(system: unknown, code: unknown): string | null {
  if (typeof system !== 'string' || typeof code !== 'string' || !system || !code) return null;
  return system === NDC ? `${NDC}|${normalizeNdc(code)}` : `${system}|${code.trim()}`;
}

/** The Medication an order points to: contained ("#id"), or in one of the given bundles. */
function referencedMedication(order: MedicationRequest, bundles: (Bundle | undefined)[]): Medication | undefined {
  const ref = order.medicationReference?.reference;
  if (typeof ref !== 'string' || ref === '') return undefined;
  if (ref.startsWith('#')) {
    return (Array.isArray(order.contained) ? order.contained : []).find((r): r is Medication => r.resourceType === 'Medication' && `#${r.id}` === ref);
  }
  for (const b of bundles) {
    for (const e of b?.entry ?? []) {
      const r = e.resource as Resource | undefined;
      if (r?.resourceType === 'Medication' && (ref === `Medication/${r.id}` || ref.endsWith(`/Medication/${r.id}`) || e.fullUrl === ref)) {
        return r as Medication;
      }
    }
  }
  return undefined;
}

/** The concepts naming an order's drug: inline, or the Medication's code and ingredients. */
export function orderConcepts(order: MedicationRequest, bundles: (Bundle | undefined)[] = []): CodeableConcept[] {
  const out: CodeableConcept[] = [];
  if (order.medicationCodeableConcept) out.push(order.medicationCodeableConcept);
  const med = referencedMedication(order, bundles);
  if (med?.code && typeof med.code === 'object') out.push(med.code);
  for (const ing of Array.isArray(med?.ingredient) ? med.ingredient : []) if (ing?.itemCodeableConcept && typeof ing.itemCodeableConcept === 'object') out.push(ing.itemCodeableConcept);
  if (typeof order.medicationReference?.display === 'string') out.push({ text: order.medicationReference.display });
  return out;
}

/** The Codings of a concept, tolerating the odd shapes EHR data can have. */
function codingsOf(c: CodeableConcept | undefined): Coding[] {
  return Array.isArray(c?.coding) ? c.coding.filter((x): x is Coding => typeof x === 'object' && x !== null) : [];
}

function namesDrug(concepts: CodeableConcept[], names: RegExp[]): boolean {
  const texts = concepts.flatMap((c) => [c.text, ...codingsOf(c).map((x) => x.display)]).filter((t): t is string => typeof t === 'string' && t !== '');
  return texts.some((t) => names.some((n) => n.test(t)));
}

/**
 * Which policies apply to which draft MedicationRequests: a trigger code (RxNorm, NDC in
 * either form, HCPCS) decides, read from the order with the policy's FHIRPath plus the codes of
 * a Medication the order references elsewhere in the request; where no policy's code matches,
 * the drug name in the concept text or display does, and the match says so.
 */
export function selectPolicies(orders: MedicationRequest[], policies: Policy[], bundles: (Bundle | undefined)[] = []): PolicyMatch[] {
  const matches: PolicyMatch[] = [];
  for (const order of orders) {
    const concepts = orderConcepts(order, bundles);
    const referenced = concepts.flatMap(codingsOf);
    const byCode = policies.filter((p) => {
      const codings = [...p.orderReader.medicationCodes(order), ...referenced];
      return codings.some((x) => {
        const k = key(x.system, x.code);
        return k !== null && p.triggerCodes.has(k);
      });
    });
    if (byCode.length > 0) {
      for (const policy of byCode) matches.push({ policy, order, matchedBy: 'code' });
      continue;
    }
    for (const policy of policies) {
      if (namesDrug(concepts, policy.triggerNames)) matches.push({ policy, order, matchedBy: 'name' });
    }
  }
  return matches;
}

/** Trigger code keys of a policy, with NDCs normalised like order codes are. */
export function triggerKeys(codes: { system: string; code: string }[]): Set<string> {
  return new Set(codes.map((c) => key(c.system, c.code)).filter((k): k is string => k !== null));
}
