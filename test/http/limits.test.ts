import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import nock from 'nock';
import request from 'supertest';
import { clone, example, scenario, testApp, testConfig } from './helpers';

const SCENARIO = example('myelomaMet');
const limits = (over: Partial<ReturnType<typeof testConfig>['limits']>) => ({
  ...testConfig().limits,
  ...over,
});

describe('request limits', () => {
  const { app, url } = testApp({ limits: limits({ maxDraftOrders: 3, maxPrefetchResources: 40 }) });

  it('more draft orders than MAX_DRAFT_ORDERS → 400', async () => {
    const body: any = clone(scenario(SCENARIO).request);
    const order = body.context.draftOrders.entry[0];
    body.context.draftOrders.entry = [0, 1, 2, 3].map((i) => ({
      resource: { ...order.resource, id: `d${i}` },
    }));
    const res = await request(app).post(url).send(body).expect(400);
    expect(res.body.issue[0].diagnostics).toMatch(/more than 3 entries \(MAX_DRAFT_ORDERS\)/);
  });

  it('more prefetch resources than MAX_PREFETCH_RESOURCES → 400', async () => {
    const body: any = clone(scenario(SCENARIO).request);
    body.prefetch.observations.entry = Array.from({ length: 41 }, (_, i) => ({
      resource: { resourceType: 'Observation', id: `o${i}`, status: 'final', code: { text: 'x' } },
    }));
    const res = await request(app).post(url).send(body).expect(400);
    expect(res.body.issue[0].diagnostics).toMatch(
      /more than 40 resources \(MAX_PREFETCH_RESOURCES\)/,
    );
  });
});

describe('rate limit per client', () => {
  const { app, url } = testApp({ limits: limits({ ratePerMinute: 2 }) });

  it('answers 429 with Retry-After past the limit', async () => {
    const body = scenario(SCENARIO).request;
    // Windows are whole minutes: if a minute turns during the three requests, try once more.
    let statuses: number[] = [];
    let res: request.Response | undefined;
    for (let attempt = 0; attempt < 2 && statuses.join() !== '200,200,429'; attempt++) {
      if (attempt > 0) await new Promise((r) => setTimeout(r, 61_000 - (Date.now() % 60_000)));
      statuses = [];
      for (let i = 0; i < 3; i++) {
        res = await request(app).post(url).send(body);
        statuses.push(res.status);
      }
    }
    expect(statuses).toEqual([200, 200, 429]);
    expect(Number(res!.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(Number(res!.headers['retry-after'])).toBeLessThanOrEqual(60);
    // Discovery is not limited.
    await request(app).get('/cds-services').expect(200);
  }, 130_000);
});

describe('concurrency', () => {
  const FHIR = 'https://slow.example.org/fhir';
  let server: Server;
  let base: string;
  const { app, url } = testApp({
    fhirTimeoutMs: 3000,
    limits: limits({ maxConcurrent: 1, maxQueue: 1 }),
  });

  beforeAll(async () => {
    nock.disableNetConnect();
    nock.enableNetConnect('127.0.0.1');
    server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    nock.cleanAll();
    nock.enableNetConnect();
    await new Promise((r) => server.close(r));
  });

  it('runs one, queues one, and answers 503 with Retry-After beyond that; the queued one still completes', async () => {
    const slow: any = clone(scenario(SCENARIO).request);
    delete slow.prefetch.conditions;
    slow.prefetch.medicationStatements = { resourceType: 'Patient', id: 'pt-1' };
    slow.prefetch.medicationAdministrations = { resourceType: 'Patient', id: 'pt-1' };
    slow.prefetch.coverage = { resourceType: 'Patient', id: 'pt-1' };
    slow.fhirServer = FHIR;
    const conditions = (scenario(SCENARIO).request.prefetch as any).conditions;
    nock(FHIR).get('/Condition').query(true).times(2).delay(600).reply(200, conditions);
    const send = () =>
      fetch(`${base}${url}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(slow),
      });
    const first = send();
    await new Promise((r) => setTimeout(r, 100));
    const second = send();
    await new Promise((r) => setTimeout(r, 100));
    const third = await send();
    expect(third.status).toBe(503);
    expect(third.headers.get('retry-after')).toBe('1');
    const [a, b] = await Promise.all([first, second]);
    expect([a.status, b.status]).toEqual([200, 200]);
    expect(((await a.json()) as any).cards[0].extension['prior-auth-criteria'].outcome).toBe(
      'criteria-met',
    );
  });
});
