import path from 'node:path';
import { EvaluationPool } from '../src/evaluation-pool';
import { patientBundleFromPrefetch } from '../src/evaluate-request';
import { DEFAULT_CONTENT, loadRuntime } from '../src/runtime';
import { draftMedicationRequests, readJsonFile, resolveRelativeDates, type Scenario } from '../src/scenarios';

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
