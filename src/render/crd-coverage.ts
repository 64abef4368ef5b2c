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
  /** "policy@version/libraryVersion:outcome" per policy that decided on the order. */
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
    .update(
      `${coverageAssertionId}|${policy.definition.id}@${policy.version}/${policy.definition.library.version}`,
    )
    .digest('hex');
  return `PA-${policy.definition.id}-${h.slice(0, 16).toUpperCase()}`;
}

/** The CRD shapes this service writes: 2.0 (CRD 2.0.1) and 2.2 (CRD 2.2.1). */
export type CrdShape = '2.0' | '2.2';

/** What the annotation of one (order × policy) says besides the decision itself. */
export interface AnnotationOptions {
  shape: CrdShape;
  /** The payer's real-time determination switch (REALTIME_DETERMINATION). */
  realtime: boolean;
  /** The page of the policy version evaluated (CRD 2.2 detail policy-link). */
  policyLink: string;
  /** The DTR form (`url|version`) that documents what is missing, when the policy has one. */
  questionnaire?: string;
}

const TEMP = 'http://hl7.org/fhir/us/davinci-crd/CodeSystem/temp';
const DETAIL_CODES = 'http://terminology.hl7.org/CodeSystem/crd-coverage-detail';

/** CRD 2.2 detail: a link to the policy version the assertion applied (policy-link). */
function policyLinkDetail(policy: Policy, wording: Wording, link: string): Extension {
  return {
    url: 'detail',
    extension: [
      { url: 'category', valueCode: 'cat-other' },
      {
        url: 'code',
        valueCodeableConcept: {
          coding: [{ system: DETAIL_CODES, code: 'policy-link', display: 'Policy link' }],
        },
      },
      { url: 'value', valueUrl: link },
      {
        url: 'qualification',
        valueString: fill(wording.coverageInformation.policyLinkQualification, {
          documentNumber: policy.definition.document.number,
          version: policy.version,
        }),
      },
    ],
  };
}

/** The coded parts of an assertion, by outcome ("error": the evaluation could not be completed). */
function decision(
  outcome: PolicyResult['outcome'] | 'error',
  shape: CrdShape,
  realtime: boolean,
): { covered: string; pa?: string; doc: boolean; info?: string; reason: string } {
  switch (outcome) {
    case 'criteria-not-met':
      return { covered: 'not-covered', doc: false, reason: 'criteria-not-met' };
    case 'criteria-met':
      return realtime
        ? { covered: 'covered', pa: 'satisfied', doc: false, reason: 'satisfied' }
        : { covered: 'covered', pa: 'auth-needed', doc: true, reason: 'criteria-met' };
    case 'documentation-needed':
      // Coverage depends on documentation not yet in the record: never "covered". CRD 2.2 ties
      // "conditional" to info-needed; what is missing is neither performer, location nor timeframe.
      return {
        covered: 'conditional',
        pa: 'auth-needed',
        doc: true,
        ...(shape === '2.2' ? { info: 'OTH' } : {}),
        reason: 'documentation-needed',
      };
    default:
      // CRD 2.2 (resp-43): indeterminate, reason technical. CRD 2.0.1 has no indeterminate.
      return {
        covered: shape === '2.2' ? 'indeterminate' : 'conditional',
        pa: 'auth-needed',
        doc: false,
        reason: 'error',
      };
  }
}

/**
 * Da Vinci CRD coverage-information for one policy result (undefined: the evaluation failed).
 * Mapping (see README, "Coverage information"):
 *   criteria-met          covered, pa-needed auth-needed, doc-needed clinical, doc-purpose withpa
 *   criteria-met, with REALTIME_DETERMINATION on: covered, pa-needed satisfied, satisfied-pa-id
 *   documentation-needed  conditional, pa-needed auth-needed, doc-needed clinical, doc-purpose
 *                         withpa (2.2: info-needed OTH, the reason names the criteria to document)
 *   criteria-not-met      not-covered (no pa-needed, no doc-needed)
 *   evaluation failed     2.2: indeterminate, pa-needed auth-needed, reason temp#technical;
 *                         2.0: conditional, pa-needed auth-needed, reason text
 * Every assertion has a reason (CRD 2.2 crd-ci-q6/q8/q9); the 2.2 shape also links the policy
 * version evaluated (detail policy-link). Both shapes keep their version's invariants.
 */
export function coverageInformation(
  policy: Policy,
  result: PolicyResult | undefined,
  coverage: Coverage,
  today: string,
  wording: Wording,
  coverageAssertionId: string,
  options: AnnotationOptions,
): Extension {
  const { shape } = options;
  const sub = (url: string, value: Omit<Extension, 'url'>): Extension => ({ url, ...value });
  const outcome = result?.outcome ?? 'error';
  const d = decision(outcome, shape, options.realtime);
  const parts: Extension[] = [
    sub('coverage', { valueReference: { reference: `Coverage/${coverage.id}` } }),
    sub('covered', { valueCode: d.covered }),
  ];
  if (d.pa) parts.push(sub('pa-needed', { valueCode: d.pa }));
  if (d.doc) {
    parts.push(sub('doc-needed', { valueCode: 'clinical' }));
    parts.push(sub('doc-purpose', { valueCode: 'withpa' }));
  }
  if (d.info) parts.push(sub('info-needed', { valueCode: d.info }));
  // DTR: the form that documents what is missing (crd-ci-q1: only with doc-needed).
  if (outcome === 'documentation-needed' && options.questionnaire)
    parts.push(sub('questionnaire', { valueCanonical: options.questionnaire }));
  const text = fill(
    wording.coverageInformation.reason[d.reason as keyof Wording['coverageInformation']['reason']],
    {
      documentNumber: policy.definition.document.number,
      deciding: result?.explanation.decidedBy.join(', ') ?? '',
    },
  ).replace(/[\s:]+$/, '');
  parts.push(
    sub('reason', {
      valueCodeableConcept: {
        ...(shape === '2.2' && d.reason === 'error'
          ? { coding: [{ system: TEMP, code: 'technical', display: 'Technical issues' }] }
          : {}),
        text,
      },
    }),
  );
  if (shape === '2.2') parts.push(policyLinkDetail(policy, wording, options.policyLink));
  parts.push(sub('date', { valueDate: today }));
  parts.push(sub('coverage-assertion-id', { valueString: coverageAssertionId }));
  if (d.pa === 'satisfied')
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
