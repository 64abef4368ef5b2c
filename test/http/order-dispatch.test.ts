import nock from 'nock';
import request from 'supertest';
import { coveragePrefetch } from '../support';
import { coverageInformationActions, crdResponseViolations } from '../kit/crd-checks';
import { allScenarioFiles, clone, example, scenario, testApp } from './helpers';

/**
 * order-dispatch (CRD: a primary hook): the dispatched orders are named by reference and resolved
 * from the prefetch or the EHR; each is evaluated as at order-sign and annotated.
 */
const { app } = testApp({ allowedFhirServers: ['https://ehr.example.org/fhir'] });
const url = '/cds-services/prior-auth-criteria-dispatch';
const CI = 'http://hl7.org/fhir/us/davinci-crd/StructureDefinition/ext-coverage-information';

/** A scenario's signed order, now dispatched: the order moves into the prefetch, as the EHR has it. */
function dispatched(file: string, version: '2.0' | '2.2' = '2.2'): any {
  const sign: any = clone(scenario(file).request);
  const drafts = sign.context.draftOrders.entry.map((e: any) => e.resource);
  const orders = drafts.filter((r: any) => r.resourceType === 'MedicationRequest' && r.id);
  for (const o of orders) o.status = 'active';
  const prefetch = { ...sign.prefetch, coverage: coveragePrefetch(sign.context.patientId) };
  prefetch.medicationRequests = {
    resourceType: 'Bundle',
    type: 'searchset',
    entry: [
      ...(prefetch.medicationRequests?.entry ?? []),
      ...orders.map((resource: any) => ({ resource })),
    ],
  };
  return {
    hook: 'order-dispatch',
    hookInstance: 'd1b0c2a4-0000-4000-8000-000000000001',
    context: {
      patientId: sign.context.patientId,
      dispatchedOrders: orders.map((o: any) => `MedicationRequest/${o.id}`),
      performer: 'Practitioner/infusion-nurse-1',
      fulfillmentTasks: orders.map((o: any) => ({
        resourceType: 'Task',
        id: `task-${o.id}`,
        status: 'requested',
        intent: 'order',
        focus: { reference: `MedicationRequest/${o.id}` },
        for: { reference: `Patient/${sign.context.patientId}` },
      })),
    },
    prefetch,
    extension: version === '2.2' ? { 'davinci-crd.requestedVersion': '2.2' } : {},
  };
}

const outcomeOf = (res: any) =>
  res.body.cards.map((c: any) => c.extension['prior-auth-criteria'].outcome);

describe('order-dispatch', () => {
  afterEach(() => nock.cleanAll());

  it('is in discovery with the CRD versions and the coverage-info option', async () => {
    const res = await request(app).get('/cds-services').expect(200);
    const s = res.body.services.find((x: any) => x.hook === 'order-dispatch');
    expect(s.id).toBe('prior-auth-criteria-dispatch');
    expect(s.extension['davinci-crd.version']).toEqual(['2.2', '2.0']);
    expect(s.extension['davinci-crd.configuration-options'].map((o: any) => o.code)).toContain(
      'coverage-info',
    );
    expect(s.prefetch.coverage).toBe('Coverage?patient={{context.patientId}}&status=active');
  });

  it.each(
    allScenarioFiles().filter((f) =>
      scenario(f).request.context.draftOrders.entry?.some(
        (e: any) => e.resource?.id && e.resource.resourceType === 'MedicationRequest',
      ),
    ),
  )(
    '%s: the dispatched order gets the order-sign outcome and passes the CRD checks',
    async (file) => {
      const body = dispatched(file);
      const res = await request(app).post(url).send(body).expect(200);
      expect(crdResponseViolations(body, res.body, '2.2')).toEqual([]);
      const s = scenario(file);
      if (res.body.cards.length === 0) return;
      expect(outcomeOf(res)).toContain(s.expected.outcome);
      expect(coverageInformationActions(res.body).length).toBeGreaterThan(0);
    },
  );

  it('reads a dispatched order missing from the prefetch from the EHR with the token', async () => {
    const body = dispatched(example('myelomaMet'));
    const order = body.prefetch.medicationRequests.entry.pop().resource;
    body.fhirServer = 'https://ehr.example.org/fhir';
    body.fhirAuthorization = { access_token: 'tok-1', token_type: 'Bearer' };
    const ehr = nock('https://ehr.example.org', { reqheaders: { authorization: 'Bearer tok-1' } })
      .get(`/fhir/MedicationRequest/${order.id}`)
      .reply(200, order);
    const res = await request(app).post(url).send(body).expect(200);
    expect(ehr.isDone()).toBe(true);
    expect(outcomeOf(res)).toEqual(['criteria-met']);
    const action = res.body.systemActions[0];
    expect(action.resource.id).toBe(order.id);
    expect(action.resource.extension.some((e: any) => e.url === CI)).toBe(true);
  });

  it('answers 412 naming the order when it is nowhere and no FHIR server can be asked, 412 when the EHR does not have it', async () => {
    const body = dispatched(example('myelomaMet'));
    const order = body.prefetch.medicationRequests.entry.pop().resource;
    const res = await request(app).post(url).send(body).expect(412);
    expect(res.body.issue[0].diagnostics).toMatch(
      new RegExp(
        `context.dispatchedOrders\\[0\\] \\(MedicationRequest/${order.id}\\) is neither in the context nor in the prefetch`,
      ),
    );
    body.fhirServer = 'https://ehr.example.org/fhir';
    nock('https://ehr.example.org')
      .get(`/fhir/MedicationRequest/${order.id}`)
      .reply(404, { resourceType: 'OperationOutcome' });
    const gone = await request(app).post(url).send(body).expect(412);
    expect(gone.body.issue[0].diagnostics).toMatch(/is not on the FHIR server/);
  });

  it('ignores dispatched orders of other types, and answers nothing for them alone', async () => {
    const body = dispatched(example('myelomaMet'));
    body.context.dispatchedOrders = ['ServiceRequest/lab-1'];
    const res = await request(app).post(url).send(body).expect(200);
    expect(res.body).toEqual({ cards: [], systemActions: [] });
  });

  it('accepts the dispatched orders as a Bundle, and the older order/task shape', async () => {
    const body = dispatched(example('myelomaMet'));
    const order = body.prefetch.medicationRequests.entry.pop().resource;
    body.context.dispatchedOrders = {
      resourceType: 'Bundle',
      type: 'collection',
      entry: [{ resource: order }],
    };
    expect(outcomeOf(await request(app).post(url).send(body).expect(200))).toEqual([
      'criteria-met',
    ]);
    const older = dispatched(example('myelomaMet'));
    older.context.order = older.context.dispatchedOrders[0];
    older.context.task = older.context.fulfillmentTasks[0];
    delete older.context.dispatchedOrders;
    delete older.context.fulfillmentTasks;
    expect(outcomeOf(await request(app).post(url).send(older).expect(200))).toEqual([
      'criteria-met',
    ]);
  });

  it.each([
    [
      'no dispatched orders',
      (b: any) => delete b.context.dispatchedOrders,
      /context.dispatchedOrders is required/,
    ],
    ['an empty list', (b: any) => (b.context.dispatchedOrders = []), /context.dispatchedOrders/],
    [
      'a reference that is not one',
      (b: any) => (b.context.dispatchedOrders = ['not a reference']),
      /local reference/,
    ],
    ['no performer', (b: any) => delete b.context.performer, /context.performer is required/],
    [
      'a Task that is not a Task',
      (b: any) => (b.context.fulfillmentTasks = [{ resourceType: 'Patient' }]),
      /context.fulfillmentTasks/,
    ],
    ['the wrong hook', (b: any) => (b.hook = 'order-sign'), /must be "order-dispatch"/],
  ])('answers 400 with an OperationOutcome for %s', async (_what, change, message) => {
    const body = dispatched(example('myelomaMet'));
    change(body);
    const res = await request(app).post(url).send(body).expect(400);
    expect(res.body.resourceType).toBe('OperationOutcome');
    expect(res.body.issue[0].diagnostics).toMatch(message);
  });

  it("answers 400 naming the order when a dispatched order is another patient's", async () => {
    const body = dispatched(example('myelomaMet'));
    body.prefetch.medicationRequests.entry.at(-1).resource.subject = {
      reference: 'Patient/someone-else',
    };
    const res = await request(app).post(url).send(body).expect(400);
    expect(res.body.issue[0].diagnostics).toMatch(/not Patient\//);
  });

  it('the 2.0.1 shape for a client that asks for none', async () => {
    const body = dispatched(example('myelomaStaleEcog'), '2.0');
    const res = await request(app).post(url).send(body).expect(200);
    expect(crdResponseViolations(body, res.body, '2.0')).toEqual([]);
    const ext = res.body.systemActions[0].resource.extension.find((e: any) => e.url === CI);
    expect(ext.extension.find((e: any) => e.url === 'info-needed')).toBeUndefined();
  });
});
