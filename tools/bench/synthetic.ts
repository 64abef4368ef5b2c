import path from 'node:path';
import type { FhirResource } from 'fhir/r4';
import { REPO_ROOT } from '../../src/platform/paths';
import { readInput, readScenario, type Scenario, type ScenarioRequest } from '../scenarios';

/** Per policy, what the benchmark builds its requests on (base-scenarios.json). */
export interface BaseScenario {
  /** The criteria-met test patient whose hook and draft order the requests use. */
  scenario: string;
  /** The shape of record realistic.ts builds. */
  record: 'myeloma' | 'b-all';
  /** The statuses that record gives, as "criterion|status;…". */
  expected: string;
}

const { about: _about, ...bases } = readInput(
  path.join(__dirname, 'base-scenarios.json'),
) as Record<string, unknown>;
export const BASE_SCENARIOS = bases as Record<string, BaseScenario>;

const RX = 'http://www.nlm.nih.gov/research/umls/rxnorm';
const LOINC_LABS = [
  '718-7',
  '6690-2',
  '777-3',
  '2160-0',
  '1742-6',
  '2951-2',
  '2823-3',
  '17861-6',
  '1975-2',
  '6768-6',
  '2885-2',
  '1751-7',
];
const VITALS = ['8867-4', '8480-6', '8462-4', '29463-7', '8310-5', '9279-1'];
const SUPPORTIVE_RX = [
  '197591',
  '313782',
  '198211',
  '310965',
  '1049221',
  '617312',
  '349094',
  '197361',
  '866924',
  '308136',
];
const ICD = [
  'I10',
  'E11.9',
  'D64.9',
  'N18.3',
  'E78.5',
  'K21.9',
  'G62.9',
  'M81.0',
  'F41.1',
  'R53.83',
];

function daysAgo(n: number, now: Date): string {
  return new Date(now.getTime() - n * 86400e3).toISOString();
}

type Pad = (i: number, when: string, subject: { reference: string }) => FhirResource;
const CATEGORY = 'http://terminology.hl7.org/CodeSystem/observation-category';
const lab: Pad = (i, when, subject) => ({
  resourceType: 'Observation',
  id: `pad-lab-${i}`,
  status: 'final',
  subject,
  category: [{ coding: [{ system: CATEGORY, code: 'laboratory' }] }],
  code: {
    coding: [{ system: 'http://loinc.org', code: LOINC_LABS[i % LOINC_LABS.length] as string }],
  },
  effectiveDateTime: when,
  valueQuantity: {
    value: 3 + (i % 40) / 4,
    unit: 'g/dL',
    system: 'http://unitsofmeasure.org',
    code: 'g/dL',
  },
});
const vital: Pad = (i, when, subject) => ({
  resourceType: 'Observation',
  id: `pad-vital-${i}`,
  status: 'final',
  subject,
  category: [{ coding: [{ system: CATEGORY, code: 'vital-signs' }] }],
  code: { coding: [{ system: 'http://loinc.org', code: VITALS[i % VITALS.length] as string }] },
  effectiveDateTime: when,
  valueQuantity: { value: 60 + (i % 50), unit: '/min' },
});
const order: Pad = (i, when, subject) => ({
  resourceType: 'MedicationRequest',
  id: `pad-mr-${i}`,
  status: i % 3 ? 'completed' : 'active',
  intent: 'order',
  subject,
  authoredOn: when,
  medicationCodeableConcept: {
    coding: [{ system: RX, code: SUPPORTIVE_RX[i % SUPPORTIVE_RX.length] as string }],
    text: 'supportive care',
  },
});
const administration: Pad = (i, when, subject) => ({
  resourceType: 'MedicationAdministration',
  id: `pad-ma-${i}`,
  status: 'completed',
  subject,
  effectiveDateTime: when,
  medicationCodeableConcept: {
    coding: [{ system: RX, code: SUPPORTIVE_RX[(i + 3) % SUPPORTIVE_RX.length] as string }],
  },
});
const condition: Pad = (i, _when, subject) => ({
  resourceType: 'Condition',
  id: `pad-cond-${i}`,
  subject,
  clinicalStatus: {
    coding: [
      {
        system: 'http://terminology.hl7.org/CodeSystem/condition-clinical',
        code: i % 2 ? 'active' : 'resolved',
      },
    ],
  },
  code: {
    coding: [{ system: 'http://hl7.org/fhir/sid/icd-10-cm', code: ICD[i % ICD.length] as string }],
  },
});
/** The mix, in the order the original generator cycled through (i % 8). */
const PAD_KINDS: Pad[] = [lab, lab, lab, vital, order, order, administration, condition];

/**
 * What an oncology patient's record also holds, deterministically: years of labs and vitals,
 * unrelated conditions, supportive-care orders and infusion-day administrations.
 */
export function padding(patientRef: string, now: Date, count: number): FhirResource[] {
  const out: FhirResource[] = [];
  const subject = { reference: patientRef };
  for (let i = 0; out.length < count; i++)
    out.push(PAD_KINDS[i % PAD_KINDS.length]!(i, daysAgo((i * 5) % 1500, now), subject));
  return out;
}

const KEY: Record<string, string> = {
  Observation: 'observations',
  MedicationRequest: 'medicationRequests',
  MedicationAdministration: 'medicationAdministrations',
  Condition: 'conditions',
};

/** An order-sign request for a policy with about `size` resources in prefetch (and a Coverage). */
export function syntheticRequest(
  policy: string,
  size: number,
  now: Date,
): { request: ScenarioRequest; expected: Scenario['expected']; resources: number } {
  const file = BASE_SCENARIOS[policy]?.scenario;
  if (!file) throw new Error(`no base scenario for ${policy}`);
  const s = readScenario(path.join(REPO_ROOT, file), now);
  const request = JSON.parse(JSON.stringify(s.request)) as ScenarioRequest & {
    prefetch: Record<string, { resourceType: string; entry?: { resource: unknown }[] } | null>;
  };
  const count = () =>
    Object.values(request.prefetch).reduce(
      (n, v) => n + (v?.resourceType === 'Bundle' ? (v.entry?.length ?? 0) : v ? 1 : 0),
      0,
    );
  request.prefetch.coverage = {
    resourceType: 'Bundle',
    entry: [
      {
        resource: {
          resourceType: 'Coverage',
          id: 'cov-1',
          status: 'active',
          beneficiary: { reference: 'Patient/pt-1' },
        },
      },
    ],
  };
  for (const r of padding('Patient/pt-1', now, Math.max(0, size - count()))) {
    const key = KEY[r.resourceType] as string;
    const b = request.prefetch[key] ?? { resourceType: 'Bundle', entry: [] };
    b.entry = [...(b.entry ?? []), { resource: r }];
    request.prefetch[key] = b;
  }
  return { request, expected: s.expected, resources: count() };
}
