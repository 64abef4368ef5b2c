import path from 'node:path';
import { EvaluationPool } from '../src/evaluation-pool';
import { patientBundleFromPrefetch } from '../src/evaluate-request';
import { DEFAULT_CONTENT, loadRuntime } from '../src/runtime';
import { draftMedicationRequests } from '../src/hooks';
import { readJsonFile, resolveRelativeDates, type Scenario } from '../src/scenarios';

/** Evaluation in worker threads gives the same results as in process, and survives a dead worker. */
const runtime = loadRuntime();
const pool = new EvaluationPool(2, DEFAULT_CONTENT);
const NOW = new Date();

afterAll(() => pool.close());

function input(file: string) {
  const s = resolveRelativeDates(readJsonFile(path.join(__dirname, 'patients', file)) as Scenario, NOW);
  const policy = runtime.policies.find((p) => p.definition.id === s.expected.policy)!;
  const [draftOrder, ...others] = draftMedicationRequests(s.request.context.draftOrders);
  return { policy, expected: s.expected, input: { bundle: patientBundleFromPrefetch(s.request), draftOrder: draftOrder!, otherDraftOrders: others, now: NOW } };
}

it('evaluates in workers exactly as in process, several at once', async () => {
  await pool.ready();
  const files = ['CC-0248/met-relapsed-four-lines-ecog-1.json', 'CC-0248/not-met-ecog-3.json', 'CC-0126/met-tki-in-same-draft-orders.json', 'CC-0126/unknown-dlbcl-on-record-no-reason.json'];
  const jobs = files.map(input);
  const viaPool = await Promise.all(jobs.map((j) => pool.evaluate(j.policy, j.input)));
  for (const [i, j] of jobs.entries()) {
    expect(viaPool[i]!.outcome).toBe(j.expected.outcome);
    expect(viaPool[i]).toEqual(await runtime.evaluator.evaluate(j.policy, j.input));
  }
});

it('fails the jobs of a worker that dies and replaces it', async () => {
  const j = input('CC-0248/met-relapsed-four-lines-ecog-1.json');
  const slots = (pool as unknown as { slots: { worker: import('node:worker_threads').Worker }[] }).slots;
  const running = pool.evaluate(j.policy, j.input).then(
    () => new Error('resolved'),
    (e: Error) => e,
  );
  const old = slots.map((s) => s.worker);
  const exited = old.map((w) => new Promise((r) => w.once('exit', r)));
  await Promise.all(old.map((w) => w.terminate()));
  await Promise.all(exited);
  // Either the job finished before the worker died, or it failed with the worker.
  const outcome = await running;
  expect(outcome.message).toMatch(/evaluation worker exited|resolved/);
  // The dead workers were replaced.
  expect(slots.every((s) => !old.includes(s.worker))).toBe(true);
  await pool.ready();
  const again = await pool.evaluate(j.policy, j.input);
  expect(again.outcome).toBe('criteria-met');
});

it('is what the service evaluates with, once ready', async () => {
  const { createApp } = await import('../src/app');
  const { testConfig, content } = await import('./http/helpers');
  const { createLogger } = await import('../src/log');
  const { FeedbackStore } = await import('../src/feedback');
  const request = (await import('supertest')).default;
  await pool.ready();
  const spy = jest.spyOn(pool, 'evaluate');
  const { runtime: rt, service } = content();
  const app = createApp({ runtime: rt, service, config: testConfig(), log: createLogger('silent'), feedback: new FeedbackStore(path.join(require('node:os').tmpdir(), `pool-${process.pid}.jsonl`)), pool });
  const s = resolveRelativeDates(readJsonFile(path.join(__dirname, 'patients/CC-0126/met-relapsed-cd19-positive.json')) as Scenario, NOW);
  const res = await request(app).post(`/cds-services/${service.id}`).send(s.request).expect(200);
  expect(res.body.cards[0].extension['prior-auth-criteria'].outcome).toBe('criteria-met');
  expect(spy).toHaveBeenCalledTimes(1);
});
