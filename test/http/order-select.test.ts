import request from 'supertest';
import { coveragePrefetch } from '../support';
import { clone, example, scenario, testApp } from './helpers';

/**
 * order-select (CDS Hooks): the same evaluation as order-sign on the selected draft orders only,
 * answered with cards; the coverage annotation waits for order-sign.
 */
const { app, content } = testApp();
const select = content.service.orderSelect!;
const url = `/cds-services/${select.id}`;
const ELREXFIO = example('myelomaMet');
const BLINCYTO = example('allMet');

/** An order-select request from a scenario: both drafts present, `selections` as given. */
function selectRequest(selections: string[]) {
  const e: any = clone(scenario(ELREXFIO).request);
  const b: any = scenario(BLINCYTO).request;
  e.hook = 'order-select';
  e.context.draftOrders.entry.push(b.context.draftOrders.entry[0]);
  e.prefetch = {
    ...b.prefetch,
    ...e.prefetch,
    coverage: coveragePrefetch(),
  };
  e.context.selections = selections;
  return e;
}
const ids = () => {
  const r = selectRequest([]);
  return r.context.draftOrders.entry.map((x: any) => `MedicationRequest/${x.resource.id}`);
};

describe('order-select', () => {
  it('is a service of its own in discovery, on the order-select hook, with the same prefetch', async () => {
    const res = await request(app).get('/cds-services').expect(200);
    const entry = res.body.services.find((s: any) => s.id === select.id);
    expect(entry).toMatchObject({ hook: 'order-select', title: select.title });
    expect(entry.description).toMatch(/Elrexfio/);
    const sign = res.body.services.find((s: any) => s.hook === 'order-sign');
    expect(entry.prefetch).toEqual(sign.prefetch);
  });

  it('evaluates only the selected draft order, and returns cards without a coverage annotation', async () => {
    const [elrexfio] = ids();
    const res = await request(app)
      .post(url)
      .send(selectRequest([elrexfio!]))
      .expect(200);
    expect(res.body.systemActions).toEqual([]);
    const policies = res.body.cards.map((c: any) => c.extension['prior-auth-criteria'].policy);
    expect(policies).toEqual([scenario(ELREXFIO).expected.policy]);
    expect(res.body.cards[0].extension['prior-auth-criteria'].outcome).toBe('criteria-met');
  });

  it('evaluates every selected draft order', async () => {
    const res = await request(app).post(url).send(selectRequest(ids())).expect(200);
    expect(res.body.cards).toHaveLength(2);
  });

  it.each([
    [[], /context.selections.*at least one/],
    [['MedicationRequest/not-a-draft'], /context.selections\[0\].*names no draft order/],
    [[42], /context.selections/],
  ])('refuses selections %j with a 400 that says why', async (selections, message) => {
    const res = await request(app)
      .post(url)
      .send(selectRequest(selections as string[]))
      .expect(400);
    expect(res.body.issue[0].diagnostics).toMatch(message);
  });

  it('refuses an order-sign body sent to the order-select service, naming the hook', async () => {
    const body = scenario(ELREXFIO).request;
    const res = await request(app).post(url).send(body).expect(400);
    expect(res.body.issue[0].diagnostics).toMatch(/must be "order-select"/);
  });
});
