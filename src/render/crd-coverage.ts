import { randomUUID } from 'node:crypto';
import type { Coverage, Extension, MedicationRequest } from 'fhir/r4';
import type { SystemAction } from '../cds/types';
import type { Policy } from '../policy/load';
import type { PolicyResult } from '../policy/result';
import { fill, type Wording } from './wording';

const COVERAGE_INFORMATION =
  'http://hl7.org/fhir/us/davinci-crd/StructureDefinition/ext-coverage-information';

/**
 * Da Vinci CRD coverage-information for one policy result. Mapping (see README):
 *   criteria-met          covered=covered, pa-needed=auth-needed, doc-needed=clinical, doc-purpose=withpa
 *   documentation-needed  covered=covered, pa-needed=auth-needed, doc-needed=clinical, doc-purpose=withpa
 *   criteria-not-met      covered=not-covered (no pa-needed, no doc-needed)
 * Nothing is "conditional", so info-needed is never sent; pa-needed is never "satisfied", so no
 * satisfied-pa-id. This keeps crd-ci-q1..q5 true.
 */
export function coverageInformation(
  policy: Policy,
  result: PolicyResult,
  coverage: Coverage,
  today: string,
  wording: Wording,
): Extension {
  const sub = (url: string, value: Omit<Extension, 'url'>): Extension => ({ url, ...value });
  const parts: Extension[] = [
    sub('coverage', { valueReference: { reference: `Coverage/${coverage.id}` } }),
  ];
  if (result.outcome === 'criteria-not-met') {
    parts.push(sub('covered', { valueCode: 'not-covered' }));
  } else {
    parts.push(sub('covered', { valueCode: 'covered' }));
    parts.push(sub('pa-needed', { valueCode: 'auth-needed' }));
    parts.push(sub('doc-needed', { valueCode: 'clinical' }));
    parts.push(sub('doc-purpose', { valueCode: 'withpa' }));
  }
  const reason = fill(wording.coverageInformation.reason[result.outcome], {
    documentNumber: policy.definition.document.number,
  });
  parts.push(sub('reason', { valueCodeableConcept: { text: reason } }));
  parts.push(sub('date', { valueDate: today }));
  parts.push(sub('coverage-assertion-id', { valueString: randomUUID() }));
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
