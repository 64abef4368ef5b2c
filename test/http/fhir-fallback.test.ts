import nock from 'nock';
import request from 'supertest';
import { clone, example, scenario, testApp } from './helpers';

/**
 * Data gathering against a FHIR server mocked at the HTTP edge (nock intercepts fetch): the
 * bearer token, the queries, paging, the failures that make a 412, and the equivalence of the
 * prefetch and server paths.
 */
const FHIR = 'https://ehr.example.org/fhir';
const TOKEN = 'secret-token-abc123';
const SCENARIO = example('myelomaMet');

function searchset(resources: unknown[], next?: string) {
  return {
    resourceType: 'Bundle',
    type: 'searchset',
    ...(next ? { link: [{ relation: 'next', url: next }] } : {}),
    entry: resources.map((resource) => ({ resource })),
  };
}

/** The scenario's prefetch as a FHIR server would serve it: key -> resources. */
function serverData(file: string): Record<string, unknown[]> {
  const prefetch = scenario(file).request.prefetch as Record<string, any>;
  return Object.fromEntries(
    Object.entries(prefetch).map(([k, v]) => [
      k,
      v.resourceType === 'Bundle' ? (v.entry ?? []).map((e: any) => e.resource) : [v],
    ]),
  );
}

/** The request without prefetch, pointing at the mocked server with a token. */
function fallbackRequest(file: string) {
  const body: any = clone(scenario(file).request);
  delete body.prefetch;
  body.fhirServer = FHIR;
  body.fhirAuthorization = {
    access_token: TOKEN,
    token_type: 'Bearer',
    expires_in: 300,
    scope: 'patient/*.read',
    subject: 'cds-service',
  };
  return body;
}

const auth = { reqheaders: { authorization: `Bearer ${TOKEN}` } };

/** Mocks every query of the scenario's (Elrexfio) policy with the bearer token required; the first page of observations links to a second. */
function mockServer(data: Record<string, unknown[]>) {
  const observations = data.observations ?? [];
  return nock(FHIR, auth)
    .get('/Patient/pt-1')
    .reply(200, data.patient?.[0] ?? {})
    .get('/Condition')
    .query({ patient: 'pt-1' })
    .reply(200, searchset(data.conditions ?? []))
    .get('/MedicationRequest')
    .query({ patient: 'pt-1', _include: 'MedicationRequest:medication' })
    .reply(200, searchset(data.medicationRequests ?? []))
    .get('/MedicationStatement')
    .query({ patient: 'pt-1', _include: 'MedicationStatement:medication' })
    .reply(200, searchset([]))
    .get('/MedicationAdministration')
    .query({ patient: 'pt-1', _include: 'MedicationAdministration:medication' })
    .reply(200, searchset([]))
    .get('/Observation')
    .query(
      (q) =>
        q.patient === 'pt-1' &&
        typeof q.code === 'string' &&
        q.code.includes('http://loinc.org|89247-1'),
    )
    .reply(200, searchset(observations.slice(0, 0), `${FHIR}/Observation?patient=pt-1&_page=2`))
    .get('/Observation')
    .query({ patient: 'pt-1', _page: '2' })
    .reply(200, searchset(observations))
    .get('/Coverage')
    .query({ patient: 'pt-1', status: 'active' })
    .reply(
      200,
      searchset([
        {
          resourceType: 'Coverage',
          id: 'cov-1',
          status: 'active',
          beneficiary: { reference: 'Patient/pt-1' },
        },
      ]),
    );
}

beforeAll(() => {
  nock.disableNetConnect();
  nock.enableNetConnect('127.0.0.1'); // supertest talks to the app on loopback
});
afterEach(() => nock.cleanAll());
afterAll(() => nock.enableNetConnect());

describe('FHIR server fallback', () => {
  const { app, url, logs } = testApp();

  it('fetches every missing key with the bearer token, follows next links, and gives the same cards as prefetch', async () => {
    const scope = mockServer(serverData(SCENARIO));
    const viaServer = await request(app)
      .post(url)
      .set('Host', 'cds.example.org')
      .send(fallbackRequest(SCENARIO))
      .expect(200);
    expect(scope.isDone()).toBe(true);
    const viaPrefetch = await request(app)
      .post(url)
      .set('Host', 'cds.example.org')
      .send(scenario(SCENARIO).request)
      .expect(200);
    const strip = (cards: any[]) => cards.map(({ uuid: _u, ...rest }) => rest);
    expect(strip(viaServer.body.cards)).toEqual(strip(viaPrefetch.body.cards));
    expect(viaServer.body.cards[0].extension['prior-auth-criteria'].outcome).toBe('criteria-met');
    // The server also had an active Coverage, so the order is annotated.
    expect(viaServer.body.systemActions).toHaveLength(1);
    expect(logs.join('\n')).not.toContain(TOKEN);
  });

  it('uses prefetch where given and fetches only what is missing, null or an OperationOutcome', async () => {
    const data = serverData(SCENARIO);
    const body = fallbackRequest(SCENARIO);
    const full = scenario(SCENARIO).request.prefetch as Record<string, unknown>;
    body.prefetch = {
      ...full,
      conditions: null,
      observations: { resourceType: 'OperationOutcome', issue: [] },
    };
    delete body.prefetch.medicationRequests;
    const scope = nock(FHIR, auth)
      .get('/Condition')
      .query({ patient: 'pt-1' })
      .reply(200, searchset(data.conditions ?? []))
      .get('/MedicationRequest')
      .query(true)
      .reply(200, searchset(data.medicationRequests ?? []))
      .get('/Observation')
      .query(true)
      .reply(200, searchset(data.observations ?? []))
      // The scenario's statements and administrations are empty searchsets: an answer, not asked again.
      .get('/Coverage')
      .query(true)
      .reply(200, searchset([]));
    const res = await request(app).post(url).send(body);
    expect(res.body.issue?.[0]?.diagnostics).toBeUndefined();
    expect(res.status).toBe(200);
    expect(scope.isDone()).toBe(true);
    expect(res.body.cards[0].extension['prior-auth-criteria'].outcome).toBe('criteria-met');
  });

  it('takes an empty prefetch searchset as the answer, with or without a server at hand', async () => {
    const body = fallbackRequest(SCENARIO);
    body.prefetch = {
      ...(scenario(SCENARIO).request.prefetch as object),
      conditions: searchset([]),
      coverage: searchset([]),
    };
    // No interceptor: any call to the server would fail the request.
    const res = await request(app).post(url).send(body).expect(200);
    expect(nock.pendingMocks()).toEqual([]);
    expect(res.body.cards[0].extension['prior-auth-criteria'].criteria[1].status).toBe('unknown');

    const noServer: any = clone(scenario(SCENARIO).request);
    noServer.prefetch.conditions = searchset([]);
    const res2 = await request(app).post(url).send(noServer).expect(200);
    expect(res2.body.cards[0].extension['prior-auth-criteria'].criteria[1].status).toBe('unknown');
  });

  it('sends no Authorization header when the hook carries no token', async () => {
    const body = fallbackRequest(SCENARIO);
    delete body.fhirAuthorization;
    const data = serverData(SCENARIO);
    const scope = nock(FHIR, { badheaders: ['authorization'] })
      .get('/Patient/pt-1')
      .reply(200, data.patient?.[0] ?? {})
      .get(/.*/)
      .times(6)
      .reply(200, searchset([]));
    const res = await request(app).post(url).send(body).expect(200);
    expect(scope.pendingMocks()).toEqual([]);
    expect(res.body.cards[0].extension['prior-auth-criteria'].outcome).toBe('documentation-needed');
  });
});

describe('412 when the data cannot be had', () => {
  const { app, url, logs } = testApp({ fhirTimeoutMs: 300 });

  it('no prefetch and no fhirServer', async () => {
    const body: any = clone(scenario(SCENARIO).request);
    delete body.prefetch;
    const res = await request(app).post(url).send(body).expect(412);
    expect(res.body.resourceType).toBe('OperationOutcome');
    expect(res.body.issue[0].diagnostics).toMatch(
      /prefetch "patient" was not sent and the request has no fhirServer/,
    );
  });

  it('the server is down', async () => {
    nock(FHIR)
      .get(/.*/)
      .times(20)
      .replyWithError({ code: 'ECONNREFUSED', message: 'connect ECONNREFUSED' });
    const res = await request(app).post(url).send(fallbackRequest(SCENARIO)).expect(412);
    expect(res.body.issue[0].diagnostics).toMatch(/could not reach the FHIR server/);
  });

  it('the server refuses the token (401)', async () => {
    nock(FHIR).get(/.*/).times(20).reply(401, { resourceType: 'OperationOutcome' });
    const res = await request(app).post(url).send(fallbackRequest(SCENARIO)).expect(412);
    expect(res.body.issue[0].diagnostics).toMatch(/refused the access token \(401\)/);
    expect(JSON.stringify(res.body)).not.toContain(TOKEN);
    expect(logs.join('\n')).not.toContain(TOKEN);
  });

  it('the server is too slow for the time budget', async () => {
    nock(FHIR).get(/.*/).times(20).delay(1000).reply(200, searchset([]));
    const res = await request(app).post(url).send(fallbackRequest(SCENARIO)).expect(412);
    expect(res.body.issue[0].diagnostics).toMatch(/did not answer in time/);
  });

  it('a next link that leaves the server is not followed', async () => {
    nock(FHIR)
      .get('/Patient/pt-1')
      .reply(200, { resourceType: 'Patient', id: 'pt-1' })
      .get(/.*/)
      .times(20)
      .reply(200, searchset([], 'https://evil.example.com/steal?page=2'));
    const res = await request(app).post(url).send(fallbackRequest(SCENARIO)).expect(412);
    expect(res.body.issue[0].diagnostics).toMatch(/next link leaves the FHIR server/);
  });

  it('the Patient is not on the server', async () => {
    nock(FHIR)
      .get('/Patient/pt-1')
      .reply(404, { resourceType: 'OperationOutcome' })
      .get(/.*/)
      .times(20)
      .reply(200, searchset([]));
    const res = await request(app).post(url).send(fallbackRequest(SCENARIO)).expect(412);
    expect(res.body.issue[0].diagnostics).toMatch(/Patient\/pt-1: not found on the FHIR server/);
  });
});

describe('allowed FHIR servers', () => {
  const { app, url } = testApp({ allowedFhirServers: ['https://trusted.example.org/fhir'] });

  it('refuses to call a server that configuration does not allow (412), without calling it', async () => {
    const scope = nock(FHIR).get(/.*/).reply(200, {});
    const res = await request(app).post(url).send(fallbackRequest(SCENARIO)).expect(412);
    expect(res.body.issue[0].diagnostics).toMatch(
      /not allowed by this service \(ALLOWED_FHIR_SERVERS\)/,
    );
    expect(scope.isDone()).toBe(false);
  });

  it('still answers from complete prefetch whatever fhirServer says', async () => {
    const body: any = clone(scenario(SCENARIO).request);
    body.fhirServer = FHIR;
    const res = await request(app).post(url).send(body).expect(200);
    expect(res.body.cards).toHaveLength(1);
  });
});
