/**
 * Measures one realistic order-sign request end to end over HTTP (JSON parse, validation,
 * selection, data gathering from prefetch, CQL evaluation, rendering, JSON response).
 *
 *   npm run measure:http [-- --iterations 200]
 *
 * The app runs in this process on a loopback port; requests are sent one at a time with fetch.
 * Each request carries ~200 resources in prefetch (a criteria-met scenario padded with labs,
 * vitals, conditions and supportive-care orders), plus an active Coverage.
 */
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { createApp } from '../app';
import { readConfig } from '../config';
import { FeedbackStore } from '../feedback';
import { createLogger } from '../log';
import { loadRuntime, REPO_ROOT } from '../runtime';
import { readJsonFile, resolveRelativeDates, type Scenario } from '../scenarios';
import { loadServiceDefinition } from '../service-definition';
import { padding } from './measure-evaluation';

const CASES = ['test/patients/CC-0248/met-relapsed-four-lines-ecog-1.json', 'test/patients/CC-0126/met-maintenance-care-plan-pomp.json'];

async function main(): Promise<void> {
  const i = process.argv.indexOf('--iterations');
  const iterations = i > 0 ? Number(process.argv[i + 1]) : 200;
  const config = { ...readConfig({ ...process.env, LOG_LEVEL: 'silent', FEEDBACK_LOG: path.join(REPO_ROOT, 'data', 'measure-feedback.jsonl') }) };
  const runtime = loadRuntime(config.content);
  const service = loadServiceDefinition(config.serviceFile, runtime.policies);
  const app = createApp({ runtime, service, config, log: createLogger('silent'), feedback: new FeedbackStore(config.feedbackLog) });
  const server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const port = (server.address() as AddressInfo).port;
  const now = new Date();
  try {
    for (const file of CASES) {
      const s = resolveRelativeDates(readJsonFile(path.join(REPO_ROOT, file)) as Scenario, now);
      const body = JSON.parse(JSON.stringify(s.request));
      // Each padding resource goes where an EHR would put it, so every policy reads it.
      const KEY: Record<string, string> = { Observation: 'observations', MedicationRequest: 'medicationRequests', MedicationAdministration: 'medicationAdministrations', Condition: 'conditions' };
      const bundleOf = (v: unknown) => (v && (v as { resourceType?: string }).resourceType === 'Bundle' ? v : { resourceType: 'Bundle', type: 'searchset', entry: [] }) as { entry: { resource: unknown }[] };
      for (const resource of padding('Patient/pt-1', now, 190)) {
        const key = KEY[resource.resourceType] as string;
        const b = bundleOf(body.prefetch[key]);
        b.entry = [...(b.entry ?? []), { resource }];
        body.prefetch[key] = b;
      }
      body.prefetch.coverage = { resourceType: 'Bundle', type: 'searchset', entry: [{ resource: { resourceType: 'Coverage', id: 'cov-1', status: 'active', beneficiary: { reference: 'Patient/pt-1' } } }] };
      const payload = JSON.stringify(body);
      const post = () => fetch(`http://127.0.0.1:${port}/cds-services/${service.id}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: payload });
      for (let w = 0; w < 20; w++) await (await post()).json();
      const samples: number[] = [];
      let cards = 0;
      for (let n = 0; n < iterations; n++) {
        const t = performance.now();
        const res = await post();
        const out = (await res.json()) as { cards: unknown[] };
        samples.push(performance.now() - t);
        if (res.status !== 200) throw new Error(`status ${res.status}`);
        cards = out.cards.length;
      }
      samples.sort((a, b) => a - b);
      const q = (p: number) => (samples[Math.min(samples.length - 1, Math.floor(p * samples.length))] as number).toFixed(1);
      const mean = (samples.reduce((a, b) => a + b, 0) / samples.length).toFixed(1);
      const resources = Object.values(body.prefetch as Record<string, { entry?: unknown[] }>).reduce((a, v) => a + (v.entry?.length ?? 1), 0);
      console.log(`${s.expected.policy}: ${resources} prefetch resources, ${(payload.length / 1024).toFixed(0)} KiB, ${cards} card(s), ${iterations} requests: mean ${mean} ms, p50 ${q(0.5)} ms, p95 ${q(0.95)} ms, max ${q(1)} ms`);
    }
  } finally {
    server.close();
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : String(e));
  process.exit(1);
});
