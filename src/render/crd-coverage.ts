import { createHash } from 'node:crypto';
import type { Coverage, Extension, MedicationRequest } from 'fhir/r4';
import type { SystemAction } from '../cds/types';
import type { Policy } from '../policy/load';
import type { PolicyResult } from '../policy/result';
import { fill, type Wording } from './wording';

const COVERAGE_INFORMATION =
  'http://hl7.org/fhir/us/davinci-crd/StructureDefinition/ext-coverage-information';

/** What one coverage assertion is about: the order, the coverage, and each policy's decision on it. */
export interface AssertionSubject {
  patientId: string;
  orderId: string;
  coverage: Coverage;
  /** "policy@libraryVersion:outcome" per policy that decided on the order. */
  decisions: string[];
}

/**
 * The coverage-assertion-id: the same for every coverage-information repetition on one order and
 * coverage (CRD: same coverage, same id), and the same again when the same call is repeated with
 * the same decisions; a different decision or policy version gives another id. A UUID-shaped
 * digest of the subject (RFC 4122 version 5 layout), so it reveals nothing about it.
 */
export function assertionId(s: AssertionSubject): string {
  const key = JSON.stringify([
    s.patientId,
    s.orderId,
    `Coverage/${s.coverage.id ?? ''}`,
    s.coverage.meta?.versionId ?? '',
    [...s.decisions].sort(),
  ]);
  const h = createHash('sha256').update(key).digest('hex');
  const variant = ((parseInt(h[16] as string, 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/**
 * The satisfied-pa-id of a real-time determination: derived from the assertion and the policy, so
 * the same assertion gets the same id again (it is the record of the determination).
 */
export function satisfiedPaId(coverageAssertionId: string, policy: Policy): string {
  const h = createHash('sha256')
    .update(`${coverageAssertionId}|${policy.definition.id}@${policy.definition.library.version}`)
    .digest('hex');
  return `PA-${policy.definition.id}-${h.slice(0, 16).toUpperCase()}`;
}

/**
 * Da Vinci CRD coverage-information for one policy result. Mapping (see README):
 *   criteria-met          covered=covered, pa-needed=auth-needed, doc-needed=clinical, doc-purpose=withpa
 *   documentation-needed  covered=conditional (coverage depends on the documentation not yet in
 *                         the record; never "covered"), pa-needed=auth-needed, doc-needed=clinical,
 *                         doc-purpose=withpa
 *   criteria-not-met      covered=not-covered (no pa-needed, no doc-needed)
 *   criteria-met, with the payer's real-time switch on (REALTIME_DETERMINATION): covered=covered,
 *                         pa-needed=satisfied, satisfied-pa-id (no doc-needed: nothing to send)
 * info-needed is never sent (what is missing is clinical documentation, not performer, location
 * or timeframe); pa-needed is never "satisfied", so no satisfied-pa-id. This keeps CRD 2.0.1's
 * crd-ci-q1..q5 true (the version discovery declares); CRD 2.1+ ties "conditional" to
 * info-needed, and its mapping (indeterminate) comes with the 2.2 shape.
 */
export function coverageInformation(
  policy: Policy,
  result: PolicyResult,
  coverage: Coverage,
  today: string,
  wording: Wording,
  coverageAssertionId: string,
  realtime = false,
): Extension {
  const sub = (url: string, value: Omit<Extension, 'url'>): Extension => ({ url, ...value });
  const parts: Extension[] = [
    sub('coverage', { valueReference: { reference: `Coverage/${coverage.id}` } }),
  ];
  if (result.outcome === 'criteria-not-met') {
    parts.push(sub('covered', { valueCode: 'not-covered' }));
  } else if (realtime && result.outcome === 'criteria-met') {
    // The payer's real-time determination: every criterion met on the evidence satisfies PA.
    parts.push(sub('covered', { valueCode: 'covered' }));
    parts.push(sub('pa-needed', { valueCode: 'satisfied' }));
  } else {
    const covered = result.outcome === 'criteria-met' ? 'covered' : 'conditional';
    parts.push(sub('covered', { valueCode: covered }));
    parts.push(sub('pa-needed', { valueCode: 'auth-needed' }));
    parts.push(sub('doc-needed', { valueCode: 'clinical' }));
    parts.push(sub('doc-purpose', { valueCode: 'withpa' }));
  }
  const reason = fill(wording.coverageInformation.reason[result.outcome], {
    documentNumber: policy.definition.document.number,
  });
  parts.push(sub('reason', { valueCodeableConcept: { text: reason } }));
  parts.push(sub('date', { valueDate: today }));
  parts.push(sub('coverage-assertion-id', { valueString: coverageAssertionId }));
  if (realtime && result.outcome === 'criteria-met')
    parts.push(sub('satisfied-pa-id', { valueString: satisfiedPaId(coverageAssertionId, policy) }));
  return { url: COVERAGE_INFORMATION, extension: parts };
}

/** The draft order, whole and with the same id, carrying coverage-information for each result. */
export function coverageAction(
  order: MedicationRequest,
  annotations: Extension[],
  wording: Wording,
): SystemAction {
  const resource = structuredClone(order);
  resource.extension = [
    ...(resource.extension ?? []).filter((e) => e.url !== COVERAGE_INFORMATION),
    ...annotations,
  ];
  return {
    type: 'update',
    description: wording.coverageInformation.actionDescription,
    resource,
  };
}
