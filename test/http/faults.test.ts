import nock from 'nock';
import request from 'supertest';
import { clone, example, scenario, testApp } from './helpers';

/**
 * Fault injection against the EHR's FHIR server (nock at the HTTP edge): each fault gives a timely
 * 412 naming what could not be had, or a correct answer from what could be had; never a crash,
 * a hang, or the token in a message or log.
 */
const FHIR = 'https://faulty.example.org/fhir';
const TOKEN = 'fault-token-987zyx';
const SCENARIO = example('myelomaMet');

/** The scenario with conditions left to the FHIR server. */
function body() {
  const b: any = clone(scenario(SCENARIO).request);
  delete b.prefetch.conditions;
  b.prefetch.coverage = null;
  b.fhirServer = FHIR;
  b.fhirAuthorization = { access_token: TOKEN, token_type: 'Bearer' };
  return b;
}

const conditionsOf = () =>
  (scenario(SCENARIO).request.prefetch as any).conditions.entry.map((e: any) => e.resource);
const searchset = (resources: unknown[], link?: unknown[]) => ({
  resourceType: 'Bundle',
  type: 'searchset',
  ...(link ? { link } : {}),
  entry: resources.map((resource) => ({ resource })),
});
/** Coverage is optional: a failure there never matters. */
const coverageFails = () => nock(FHIR).get('/Coverage').query(true).reply(500);
/** The scenario's empty statement/administration searchsets are asked again when a server is at hand. */
const serveEmpty = () =>
  nock(FHIR)
    .get('/MedicationStatement')
    .query(true)
    .reply(200, searchset([]))
    .get('/MedicationAdministration')
    .query(true)
    .reply(200, searchset([]));

const { app, url, logs } = testApp({
  fhirTimeoutMs: 800,
  limits: {
    maxDraftOrders: 20,
    maxPrefetchResources: 5000,
    fhirMaxResources: 50,
    fhirMaxResponseBytes: 32 * 1024,
    maxConcurrent: 8,
    maxQueue: 16,
    ratePerMinute: 0,
  },
});

beforeAll(() => {
  nock.disableNetConnect();
  nock.enableNetConnect('127.0.0.1');
});
afterEach(() => nock.cleanAll());
afterAll(() => {
  nock.enableNetConnect();
});

async function expect412(match: RegExp, maxMs = 3000) {
  const started = Date.now();
  const res = await request(app).post(url).send(body());
  expect(res.status).toBe(412);
  expect(res.body.issue[0].diagnostics).toMatch(match);
  expect(JSON.stringify(res.body)).not.toContain(TOKEN);
  expect(Date.now() - started).toBeLessThan(maxMs);
}

describe('FHIR server faults', () => {
  it.each([500, 502, 503])('%i → 412', async (status) => {
    coverageFails();
    nock(FHIR).get('/Condition').query(true).reply(status, 'upstream trouble');
    await expect412(new RegExp(`answered ${status}`));
  });

  it.each([401, 403])('%i → 412 (token refused)', async (status) => {
    coverageFails();
    nock(FHIR).get('/Condition').query(true).reply(status);
    await expect412(/refused the access token/);
  });

  it('a server that never answers → 412 within the time budget', async () => {
    coverageFails();
    nock(FHIR).get('/Condition').query(true).delay(5000).reply(200, searchset([]));
    await expect412(/did not answer in time/, 2500);
  });

  it('a body that trickles in past the budget → 412 within the time budget', async () => {
    coverageFails();
    nock(FHIR).get('/Condition').query(true).delayBody(5000).reply(200, searchset([]));
    await expect412(/did not answer in time|broke off/, 2500);
  });

  it('truncated JSON → 412', async () => {
    coverageFails();
    nock(FHIR)
      .get('/Condition')
      .query(true)
      .reply(200, '{"resourceType":"Bundle","entry":[{"resource":{"resourceType":"Cond', {
        'Content-Type': 'application/fhir+json',
      });
    await expect412(/not JSON/);
  });

  it('HTML instead of FHIR → 412', async () => {
    coverageFails();
    nock(FHIR)
      .get('/Condition')
      .query(true)
      .reply(200, '<html>login</html>', { 'Content-Type': 'text/html' });
    await expect412(/not JSON/);
  });

  it('JSON that is not a FHIR resource → 412', async () => {
    coverageFails();
    nock(FHIR).get('/Condition').query(true).reply(200, [1, 2, 3]);
    await expect412(/not a FHIR resource/);
  });

  it('a page larger than FHIR_MAX_RESPONSE_BYTES → 412', async () => {
    coverageFails();
    const huge = searchset(
      Array.from({ length: 400 }, (_, i) => ({
        resourceType: 'Condition',
        id: `c${i}`,
        subject: { reference: 'Patient/pt-1' },
        note: [{ text: 'x'.repeat(200) }],
      })),
    );
    nock(FHIR).get('/Condition').query(true).reply(200, huge);
    await expect412(/larger than 32768 bytes/);
  });

  it('more resources than FHIR_MAX_RESOURCES → 412', async () => {
    coverageFails();
    const many = searchset(
      Array.from({ length: 60 }, (_, i) => ({
        resourceType: 'Condition',
        id: `c${i}`,
        subject: { reference: 'Patient/pt-1' },
      })),
    );
    nock(FHIR).get('/Condition').query(true).reply(200, many);
    serveEmpty();
    await expect412(/more than 50 resources/);
  });

  it('a redirect loop → 412, not followed', async () => {
    coverageFails();
    const scope = nock(FHIR)
      .get('/Condition')
      .query(true)
      .reply(302, '', { Location: `${FHIR}/Condition?patient=pt-1` });
    await expect412(/redirected \(302\); redirects are not followed/);
    expect(scope.isDone()).toBe(true);
  });

  it('a redirect to another host → 412, the other host never called (the token stays home)', async () => {
    coverageFails();
    nock(FHIR)
      .get('/Condition')
      .query(true)
      .reply(307, '', { Location: 'https://attacker.example.net/collect' });
    const attacker = nock('https://attacker.example.net').get(/.*/).reply(200, searchset([]));
    await expect412(/redirected \(307\)/);
    expect(attacker.isDone()).toBe(false);
  });

  it('a next-page loop → 412 after FHIR_MAX_PAGES', async () => {
    coverageFails();
    nock(FHIR)
      .get('/Condition')
      .query(true)
      .times(10)
      .reply(
        200,
        searchset([], [{ relation: 'next', url: `${FHIR}/Condition?patient=pt-1&page=again` }]),
      );
    await expect412(/more than 5 pages/);
  });

  it("another patient's resources and resources of the wrong type are dropped and logged; the answer comes from the rest", async () => {
    coverageFails();
    const mixed = [
      ...conditionsOf(),
      {
        resourceType: 'Condition',
        id: 'foreign',
        subject: { reference: 'Patient/someone-else' },
        code: { coding: [{ system: 'http://hl7.org/fhir/sid/icd-10-cm', code: 'C90.01' }] },
      },
      {
        resourceType: 'Observation',
        id: 'smuggled',
        status: 'final',
        subject: { reference: 'Patient/pt-1' },
        code: { coding: [{ system: 'http://loinc.org', code: '89247-1' }] },
        valueInteger: 4,
        effectiveDateTime: new Date().toISOString(),
      },
    ];
    nock(FHIR).get('/Condition').query(true).reply(200, searchset(mixed));
    serveEmpty();
    const res = await request(app).post(url).send(body()).expect(200);
    const ext = res.body.cards[0].extension['prior-auth-criteria'];
    expect(ext.outcome).toBe('criteria-met');
    expect(JSON.stringify(ext)).not.toMatch(/foreign|smuggled/);
    expect(
      logs.some(
        (l) =>
          /fhir-resources-dropped/.test(l) && /"otherPatient":1/.test(l) && /"wrongType":1/.test(l),
      ),
    ).toBe(true);
  });

  it('a broken Coverage query only costs the CRD annotation', async () => {
    coverageFails();
    nock(FHIR).get('/Condition').query(true).reply(200, searchset(conditionsOf()));
    serveEmpty();
    const res = await request(app).post(url).send(body()).expect(200);
    expect(res.body.cards).toHaveLength(1);
    expect(res.body.systemActions).toEqual([]);
  });

  it('the server refusing connections → 412', async () => {
    nock(FHIR).get(/.*/).times(5).replyWithError({ code: 'ECONNRESET', message: 'socket hang up' });
    await expect412(/could not reach the FHIR server/);
  });

  it('never wrote the access token to the log, whatever failed', () => {
    expect(logs.length).toBeGreaterThan(10);
    expect(logs.join('\n')).not.toContain(TOKEN);
  });
});
