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
import type { Bundle, BundleEntry } from 'fhir/r4';
import { padding } from '../bench/synthetic';
import { evaluateOrders, patientBundleFromPrefetch } from '../evaluate-request';
import { loadRuntime, REPO_ROOT } from '../runtime';
import { readJsonFile, resolveRelativeDates, type Scenario } from '../scenarios';

const CASES = [
  'test/patients/CC-0248/met-relapsed-four-lines-ecog-1.json',
  'test/patients/CC-0126/met-maintenance-care-plan-pomp.json',
];

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

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : String(e));
  process.exit(1);
});
