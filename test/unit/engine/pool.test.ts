import request from 'supertest';
import { EvaluationPool } from '../../../src/engine/pool/pool';
import type { EvaluationInput } from '../../../src/engine/evaluator';
import { evaluatePolicy } from '../../../src/policy/result';
import { draftMedicationRequests } from '../../../src/cds/parse';
import { DEFAULT_CONTENT } from '../../../src/platform/paths';
import { createLogger } from '../../../src/platform/log';
import { testApp } from '../../http/helpers';
import { content, example, scenario } from '../../support';
import { collectResources } from '../../../src/patient-data/bundle';

/** Evaluation in worker threads gives the same results as in process, and survives a dead worker. */
const { engine, policies } = content();
const pool = new EvaluationPool(2, DEFAULT_CONTENT);
const NOW = new Date();

afterAll(() => pool.close());

function job(file: string) {
  const s = scenario(file, NOW);
  const policy = policies.find((p) => p.definition.id === s.expected.policy)!;
  const [draftOrder, ...others] = draftMedicationRequests(s.request.context.draftOrders);
  const input: EvaluationInput = {
    patientId: s.request.context.patientId,
    bundle: collectResources(Object.values(s.request.prefetch ?? {})),
    draftOrder: draftOrder!,
    otherDraftOrders: others,
    now: NOW,
  };
  return { policy, expected: s.expected, input };
}

it('evaluates in workers exactly as in process, several at once', async () => {
  await pool.ready();
  const files = (
    ['myelomaMet', 'myelomaNotMet', 'allMetTkiInDraftOrders', 'allUnknownDlbclNoReason'] as const
  ).map(example);
  const jobs = files.map(job);
  const viaPool = await Promise.all(
    jobs.map((j) => evaluatePolicy(pool.evaluate, j.policy, j.input)),
  );
  for (const [i, j] of jobs.entries()) {
    expect(viaPool[i]!.outcome).toBe(j.expected.outcome);
    expect(viaPool[i]).toEqual(await evaluatePolicy(engine.evaluator.evaluate, j.policy, j.input));
  }
});

it('fails the jobs of a worker that dies and replaces it', async () => {
  const j = job(example('myelomaMet'));
  const slots = (pool as unknown as { slots: { worker: import('node:worker_threads').Worker }[] })
    .slots;
  const running = evaluatePolicy(pool.evaluate, j.policy, j.input).then(
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
  const again = await evaluatePolicy(pool.evaluate, j.policy, j.input);
  expect(again.outcome).toBe('criteria-met');
});

it('is what the service evaluates with, once ready', async () => {
  await pool.ready();
  const calls: string[] = [];
  const { app, url } = testApp(
    {},
    {
      log: createLogger('silent'),
      now: () => NOW,
      evaluate: (program, input, expressions) => (
        calls.push(program.name),
        pool.evaluate(program, input, expressions)
      ),
    },
  );
  const s = scenario(example('allMet'), NOW);
  const res = await request(app).post(url).send(s.request).expect(200);
  expect(res.body.cards[0].extension['prior-auth-criteria'].outcome).toBe('criteria-met');
  expect(calls).toHaveLength(1);
});
