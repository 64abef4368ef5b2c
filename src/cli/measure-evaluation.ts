/**
 * Measures the cost of one policy evaluation on a realistic patient of about 200 resources.
 *
 *   npm run measure:evaluation [-- --iterations 300]
 *
 * The patient is a test scenario (the policy's criteria-met case) padded with the kind of record
 * an oncology patient carries: vitals and labs, unrelated conditions, supportive-care orders and
 * administrations, and repeat cycles of the regimens. Startup (loading ELM, value sets, model
 * info) is measured once; then each policy is evaluated repeatedly after a warm-up.
 */
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Bundle, BundleEntry, FhirResource } from 'fhir/r4';
import { evaluateOrders, patientBundleFromPrefetch } from '../evaluate-request';
import { loadRuntime, REPO_ROOT } from '../runtime';
import { readJsonFile, resolveRelativeDates, type Scenario } from '../scenarios';

const CASES = [
  'test/patients/CC-0248/met-relapsed-four-lines-ecog-1.json',
  'test/patients/CC-0126/met-maintenance-care-plan-pomp.json',
];

function days(n: number, now: Date): string {
  return new Date(now.getTime() - n * 86400e3).toISOString();
}

/** Unrelated but realistic records: they must be read and rejected by every retrieve. */
export function padding(patientRef: string, now: Date, count: number): FhirResource[] {
  const out: FhirResource[] = [];
  const loinc = ['8867-4', '8480-6', '8462-4', '29463-7', '718-7', '6690-2', '777-3', '2160-0', '1742-6', '2951-2'];
  const rx = ['197591', '313782', '198211', '310965', '1049221', '617312', '349094', '197361'];
  for (let i = 0; out.length < count; i++) {
    const when = days((i * 7) % 900, now);
    switch (i % 5) {
      case 0:
      case 1:
        out.push({ resourceType: 'Observation', id: `pad-obs-${i}`, status: 'final', subject: { reference: patientRef },
          code: { coding: [{ system: 'http://loinc.org', code: loinc[i % loinc.length] as string }] }, effectiveDateTime: when,
          valueQuantity: { value: 50 + (i % 40), unit: 'mg/dL', system: 'http://unitsofmeasure.org', code: 'mg/dL' } });
        break;
      case 2:
        out.push({ resourceType: 'MedicationRequest', id: `pad-mr-${i}`, status: i % 3 ? 'completed' : 'active', intent: 'order',
          subject: { reference: patientRef }, authoredOn: when,
          medicationCodeableConcept: { coding: [{ system: 'http://www.nlm.nih.gov/research/umls/rxnorm', code: rx[i % rx.length] as string }] } });
        break;
      case 3:
        out.push({ resourceType: 'MedicationAdministration', id: `pad-ma-${i}`, status: 'completed', subject: { reference: patientRef },
          effectiveDateTime: when, medicationCodeableConcept: { coding: [{ system: 'http://www.nlm.nih.gov/research/umls/rxnorm', code: rx[(i + 3) % rx.length] as string }] } });
        break;
      default:
        out.push({ resourceType: 'Condition', id: `pad-cond-${i}`, subject: { reference: patientRef },
          clinicalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: i % 2 ? 'active' : 'resolved' }] },
          code: { coding: [{ system: 'http://hl7.org/fhir/sid/icd-10-cm', code: ['I10', 'E11.9', 'D64.9', 'N18.3', 'E78.5', 'K21.9'][i % 6] as string }] } });
    }
  }
  return out;
}

function stats(samples: number[]) {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
  const mean = samples.reduce((a, b) => a + b, 0) / samples.length;
  return { mean: mean.toFixed(2), p50: at(0.5).toFixed(2), p95: at(0.95).toFixed(2), max: at(1).toFixed(2) };
}

async function main(): Promise<void> {
  const i = process.argv.indexOf('--iterations');
  const iterations = i > 0 ? Number(process.argv[i + 1]) : 300;
  const now = new Date();
  const t0 = performance.now();
  const runtime = loadRuntime();
  console.log(`startup (ELM, value sets, model info): ${(performance.now() - t0).toFixed(0)} ms`);
  for (const file of CASES) {
    const scenario = resolveRelativeDates(readJsonFile(path.join(REPO_ROOT, file)) as Scenario, now);
    const base = patientBundleFromPrefetch(scenario.request);
    const patientRef = `Patient/${scenario.request.context.patientId}`;
    const entries: BundleEntry[] = [...(base.entry ?? []), ...padding(patientRef, now, 200 - (base.entry?.length ?? 0)).map((resource) => ({ resource }))];
    const bundle: Bundle = { resourceType: 'Bundle', type: 'collection', entry: entries };
    const drafts = scenario.request.context.draftOrders;
    for (let w = 0; w < 20; w++) await evaluateOrders(runtime, drafts, bundle, now);
    const samples: number[] = [];
    let outcome = '';
    for (let n = 0; n < iterations; n++) {
      const t = performance.now();
      const [r] = await evaluateOrders(runtime, drafts, bundle, now);
      samples.push(performance.now() - t);
      outcome = r?.result.outcome ?? 'none';
    }
    const s = stats(samples);
    console.log(`${scenario.expected.policy} on ${entries.length} resources (${outcome}), ${iterations} runs: mean ${s.mean} ms, p50 ${s.p50} ms, p95 ${s.p95} ms, max ${s.max} ms`);
  }
}

if (require.main === module) {
  main().catch((e: unknown) => {
    console.error(e instanceof Error ? e.message : String(e));
    process.exit(1);
  });
}
