import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
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

  /** The scenario with `n` copies of its draft order (distinct ids). */
  function withDraftOrders(n: number) {
    const body: any = clone(scenario(SCENARIO).request);
    const order = body.context.draftOrders.entry[0];
    body.context.draftOrders.entry = Array.from({ length: n }, (_, i) => ({
      resource: { ...order.resource, id: `d${i}` },
    }));
    return body;
  }

  /** The scenario padded with extra Observations so that its prefetch holds exactly `n` resources. */
  function withPrefetchResources(n: number) {
    const body: any = clone(scenario(SCENARIO).request);
    const count = (b: any) =>
      Object.values(b.prefetch).reduce(
        (sum: number, v: any) => sum + (Array.isArray(v?.entry) ? v.entry.length : 1),
        0,
      );
    const padding = n - count(body);
    expect(padding).toBeGreaterThan(0);
    body.prefetch.observations.entry.push(
      ...Array.from({ length: padding }, (_, i) => ({
        resource: {
          resourceType: 'Observation',
          id: `o${i}`,
          status: 'final',
          subject: { reference: 'Patient/pt-1' },
          code: { text: 'x' },
        },
      })),
    );
    expect(count(body)).toBe(n);
    return body;
  }

  it('exactly MAX_DRAFT_ORDERS draft orders are evaluated, one card each', async () => {
    const res = await request(app).post(url).send(withDraftOrders(3)).expect(200);
    expect(res.body.cards).toHaveLength(3);
  });

  it('more draft orders than MAX_DRAFT_ORDERS → 400', async () => {
    const res = await request(app).post(url).send(withDraftOrders(4)).expect(400);
    expect(res.body.issue[0].diagnostics).toMatch(/more than 3 entries \(MAX_DRAFT_ORDERS\)/);
  });

  it('exactly MAX_PREFETCH_RESOURCES prefetch resources are accepted', async () => {
    const res = await request(app).post(url).send(withPrefetchResources(40)).expect(200);
    expect(res.body.cards[0].extension['prior-auth-criteria'].outcome).toBe('criteria-met');
  });

  it('one more prefetch resource than MAX_PREFETCH_RESOURCES → 400', async () => {
    const res = await request(app).post(url).send(withPrefetchResources(41)).expect(400);
    expect(res.body.issue[0].diagnostics).toMatch(
      /more than 40 resources \(MAX_PREFETCH_RESOURCES\)/,
    );
  });
});

describe('rate limit per client', () => {
  // Only Date is faked, at 20 s into a minute, before the app (its limiter reads Date.now) is made:
  // the three requests share one window, whatever the real clock.
  let app: ReturnType<typeof testApp>['app'];
  let url: string;
  beforeAll(() => {
    jest.useFakeTimers({
      now: Date.UTC(2026, 5, 15, 12, 0, 20),
      advanceTimers: true,
      doNotFake: ['nextTick', 'setImmediate', 'setTimeout', 'setInterval', 'queueMicrotask'],
    });
    ({ app, url } = testApp({ limits: limits({ ratePerMinute: 2 }) }));
  });
  afterAll(() => jest.useRealTimers());

  it('answers exactly RATE_LIMIT_PER_MINUTE requests, then 429 with Retry-After to the next minute', async () => {
    const body = scenario(SCENARIO).request;
    const statuses: number[] = [];
    let res: request.Response | undefined;
    for (let i = 0; i < 3; i++) {
      res = await request(app).post(url).send(body);
      statuses.push(res.status);
    }
    expect(statuses).toEqual([200, 200, 429]);
    const retryAfter = Number(res!.headers['retry-after']);
    expect(retryAfter).toBeGreaterThanOrEqual(35);
    expect(retryAfter).toBeLessThanOrEqual(40);
    // Discovery is not limited.
    await request(app).get('/cds-services').expect(200);
  });
});

describe('rate limit per authenticated client (its own limit from CDS_CLIENTS, else the default)', () => {
  const BASE = 'https://cds.example.org';
  const LIMITED = 'https://busy-ehr.example.org';
  const DEFAULT = 'https://quiet-ehr.example.org';
  let app: ReturnType<typeof testApp>['app'];
  let url: string;
  let sign: (iss: string) => Promise<string>;
  beforeAll(async () => {
    jest.useFakeTimers({
      now: Date.UTC(2026, 5, 15, 12, 0, 20),
      advanceTimers: true,
      doNotFake: ['nextTick', 'setImmediate', 'setTimeout', 'setInterval', 'queueMicrotask'],
    });
    const { privateKey, publicKey } = await generateKeyPair('ES384', { extractable: true });
    const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES384', use: 'sig' };
    for (const iss of [LIMITED, DEFAULT])
      nock(iss)
        .get('/jwks')
        .reply(200, { keys: [jwk] })
        .persist();
    let jti = 0;
    ({ app, url } = testApp({
      publicBaseUrl: BASE,
      limits: limits({ ratePerMinute: 3 }),
      auth: {
        enabled: true,
        clockSkewSeconds: 30,
        jwksCooldownSeconds: 0,
        clients: [
          { iss: LIMITED, jwksUrl: `${LIMITED}/jwks`, ratePerMinute: 1 },
          { iss: DEFAULT, jwksUrl: `${DEFAULT}/jwks` },
        ],
      },
    }));
    sign = (iss) => {
      const now = Math.floor(Date.now() / 1000);
      return new SignJWT({
        iss,
        sub: 'ehr',
        aud: `${BASE}${url}`,
        iat: now,
        exp: now + 60,
        jti: `j${++jti}`,
      })
        .setProtectedHeader({ alg: 'ES384', kid: 'k1', typ: 'JWT' })
        .sign(privateKey);
    };
  });
  afterAll(() => {
    nock.cleanAll();
    jest.useRealTimers();
  });

  it('keeps each client to its own limit: one client over its limit does not throttle another', async () => {
    const body = scenario(SCENARIO).request;
    const post = async (iss: string) =>
      (
        await request(app)
          .post(url)
          .set('Authorization', `Bearer ${await sign(iss)}`)
          .send(body)
      ).status;
    expect([await post(LIMITED), await post(LIMITED)]).toEqual([200, 429]);
    const others = [];
    for (let i = 0; i < 4; i++) others.push(await post(DEFAULT));
    expect(others).toEqual([200, 200, 200, 429]);
  });
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
