import request from 'supertest';
import type { Evaluate } from '../../src/engine/evaluator';
import { clone, content, example, NOW, scenario, testApp } from './helpers';

/**
 * CRD order-select for caching: the order-sign that follows an order-select for the same orders
 * answers from the select's results when nothing it reads has changed; any change is evaluated.
 */
let evaluations = 0;
const evaluate: Evaluate = (program, input, expressions) => {
  evaluations++;
  return content().engine.evaluator.evaluate(program, input, expressions);
};
let now = NOW;
const { app, url } = testApp({}, { evaluate, now: () => now });
const selectUrl = '/cds-services/prior-auth-criteria-select';

function bodies(role: Parameters<typeof example>[0] = 'myelomaMet') {
  const sign: any = clone(scenario(example(role)).request);
  const select: any = clone(sign);
  select.hook = 'order-select';
  const order = select.context.draftOrders.entry[0].resource;
  select.context.selections = [`MedicationRequest/${order.id}`];
  return { sign, select };
}

const outcome = (res: request.Response) =>
  res.body.cards[0].extension['prior-auth-criteria'].outcome;
const cacheCount = async (hook: string, result: string) => {
  const text = (await request(app).get('/metrics').expect(200)).text;
  const m = new RegExp(`cds_select_cache_total\\{hook="${hook}",result="${result}"\\} (\\d+)`).exec(
    text,
  );
  return m ? Number(m[1]) : 0;
};

describe('order-select results serve the order-sign that follows', () => {
  beforeEach(() => {
    now = NOW;
  });

  it('the sign on unchanged data is answered without evaluating again, with the same outcome', async () => {
    const { sign, select } = bodies();
    const before = evaluations;
    const selected = await request(app).post(selectUrl).send(select).expect(200);
    expect(evaluations).toBe(before + 1);
    const hits = await cacheCount('order-sign', 'hit');
    const signed = await request(app).post(url).send(sign).expect(200);
    expect(evaluations).toBe(before + 1);
    expect(outcome(signed)).toBe(outcome(selected));
    expect(await cacheCount('order-sign', 'hit')).toBe(hits + 1);
    // A new card (its own uuid) for the same decision.
    expect(signed.body.cards[0].uuid).not.toBe(selected.body.cards[0].uuid);
  });

  it('any change to what the evaluation reads is evaluated again: the record, the order, the day', async () => {
    const { sign, select } = bodies();
    await request(app).post(selectUrl).send(select).expect(200);
    let before = evaluations;
    const changedRecord = clone(sign);
    const conditions = changedRecord.prefetch.conditions.entry;
    conditions.push({ resource: { ...clone(conditions[0].resource), id: 'another-condition' } });
    await request(app).post(url).send(changedRecord).expect(200);
    expect(evaluations).toBe(before + 1);
    before = evaluations;
    const changedOrder = clone(sign);
    changedOrder.context.draftOrders.entry[0].resource.note = [{ text: 'step-up dosing day 1' }];
    await request(app).post(url).send(changedOrder).expect(200);
    expect(evaluations).toBe(before + 1);
    before = evaluations;
    now = new Date(NOW.getTime() + 24 * 3600 * 1000);
    await request(app).post(url).send(sign).expect(200);
    expect(evaluations).toBe(before + 1);
  });

  it('results older than ten minutes are not used', async () => {
    const { sign, select } = bodies();
    await request(app).post(selectUrl).send(select).expect(200);
    const before = evaluations;
    now = new Date(NOW.getTime() + 10 * 60 * 1000 + 1);
    await request(app).post(url).send(sign).expect(200);
    expect(evaluations).toBe(before + 1);
  });

  it('a sign for a patient no order-select was seen for looks nothing up', async () => {
    const fresh = testApp({}, { evaluate, now: () => now });
    const { sign } = bodies('allMet');
    const before = evaluations;
    await request(fresh.app).post(fresh.url).send(sign).expect(200);
    expect(evaluations).toBe(before + 1);
    const text = (await request(fresh.app).get('/metrics').expect(200)).text;
    expect(text).not.toMatch(/cds_select_cache_total\{hook="order-sign"/);
  });
});
