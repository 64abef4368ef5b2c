import request from 'supertest';
import { EvaluationPool } from '../../../src/engine/pool/pool';
import type { EvaluationInput } from '../../../src/engine/evaluator';
import { evaluatePolicy } from '../../../src/policy/result';
import { draftMedicationRequests } from '../../../src/cds/parse';
import { DEFAULT_CONTENT } from '../../../src/platform/paths';
import { createLogger } from '../../../src/platform/log';
import { testApp } from '../../http/helpers';
import { content, escapeRegExp, example, scenario } from '../../support';
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

it('fails the job of a worker that dies before answering, and replaces the worker', async () => {
  await pool.ready();
  const j = job(example('myelomaMet'));
  const slots = (pool as unknown as { slots: { worker: import('node:worker_threads').Worker }[] })
    .slots;
  const old = slots.map((s) => s.worker);
  // The job is held on its way to the worker, so it is surely still pending when the worker dies:
  // no race with the evaluation finishing first.
  const held = old.map((w) => jest.spyOn(w, 'postMessage').mockImplementation(() => undefined));
  const running = evaluatePolicy(pool.evaluate, j.policy, j.input).then(
    () => 'resolved',
    (e: Error) => e.message,
  );
  expect(held.reduce((n, spy) => n + spy.mock.calls.length, 0)).toBe(1);
  const exited = old.map((w) => new Promise((r) => w.once('exit', r)));
  await Promise.all(old.map((w) => w.terminate()));
  await Promise.all(exited);
  const stillPending = new Promise((r) => setTimeout(() => r('still pending'), 5000).unref());
  expect(await Promise.race([running, stillPending])).toMatch(
    new RegExp(`^${escapeRegExp(j.policy.program.name)}: evaluation worker exited \\(\\d+\\)$`),
  );
  // The dead workers were replaced, and the new ones evaluate.
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
