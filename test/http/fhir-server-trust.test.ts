import { unmatchedRequests } from '../support';
import nock from 'nock';
import request from 'supertest';
import { clone, example, scenario, testApp } from './helpers';

/**
 * What the service trusts from and about a FHIR server (nock at the HTTP edge): only the
 * context's Patient is used, whatever the server answers; only allowed servers are called, and
 * an allowed URL is matched as a URL, never as a string prefix.
 */
const FHIR = 'https://ehr.example.org/fhir';
const TOKEN = 'trust-token-5e7d21';
const SCENARIO = example('myelomaMet');
const PREFETCH = scenario(SCENARIO).request.prefetch as Record<string, any>;
const entries = (key: string) => (PREFETCH[key]?.entry ?? []).map((e: any) => e.resource);
const searchset = (resources: unknown[]) => ({
  resourceType: 'Bundle',
  type: 'searchset',
  entry: resources.map((resource) => ({ resource })),
});

/** The scenario with no prefetch at all: everything comes from `fhirServer`. */
function fromServer(fhirServer: string) {
  const body: any = clone(scenario(SCENARIO).request);
  delete body.prefetch;
  body.fhirServer = fhirServer;
  body.fhirAuthorization = { access_token: TOKEN, token_type: 'Bearer' };
  return body;
}

/** The FHIR server (it wants the token): the scenario's record, `patient` answering the Patient read. */
function serve(patient: unknown) {
  return nock(FHIR, { reqheaders: { authorization: `Bearer ${TOKEN}` } })
    .persist()
    .get('/Patient/pt-1')
    .reply(200, patient as nock.Body)
    .get('/Condition')
    .query(true)
    .reply(200, searchset(entries('conditions')))
    .get('/MedicationRequest')
    .query(true)
    .reply(200, searchset(entries('medicationRequests')))
    .get('/Observation')
    .query(true)
    .reply(200, searchset(entries('observations')))
    .get(/^\/fhir\/(MedicationStatement|MedicationAdministration|Coverage)/)
    .query(true)
    .reply(200, searchset([]));
}

/** Every request nock saw without a matching interceptor, but supertest's to the app (loopback). */
const unmatched = unmatchedRequests({ loopback: true });

describe('a Patient of another id from the FHIR server', () => {
  const { app, url, logs } = testApp();
  const patient = entries('patient')[0] ?? PREFETCH.patient;

  it('is not used: the request ends in 412, the context Patient not being on the server', async () => {
    expect(patient).toMatchObject({ resourceType: 'Patient', id: 'pt-1' });
    serve({ ...patient, id: 'pt-2' });
    const res = await request(app).post(url).send(fromServer(FHIR)).expect(412);
    expect(res.body.issue[0].diagnostics).toBe(
      'no Patient/pt-1 in the prefetch or on the FHIR server',
    );
    expect(res.body.cards).toBeUndefined();
  });

  it('is dropped (and counted) when the server answers with it beside the right one', async () => {
    // Another patient, under 19: criterion I would be met if the service read this one.
    const child = { resourceType: 'Patient', id: 'pt-2', birthDate: '2020-01-01' };
    serve(searchset([child, patient]));
    const res = await request(app).post(url).send(fromServer(FHIR)).expect(200);
    const result = res.body.cards[0].extension['prior-auth-criteria'];
    expect(result.outcome).toBe('criteria-met');
    expect(result.criteria[0]).toMatchObject({
      id: 'I',
      status: 'not-met',
      evidence: ['Patient/pt-1'],
    });
    expect(JSON.stringify(res.body)).not.toContain('pt-2');
    expect(
      logs.some((l) => /fhir-resources-dropped/.test(l) && /"otherPatient":1[,}]/.test(l)),
    ).toBe(true);
  });
});

describe('the FHIR server allow-list is matched as URLs', () => {
  // name, allowed, the request's fhirServer, the host (and path) that must never be called
  const REFUSED: [string, string, string, string, RegExp][] = [
    [
      'another host that starts with the allowed one',
      'https://ehr.example.org',
      'https://ehr.example.org.evil.net',
      'https://ehr.example.org.evil.net',
      /.*/,
    ],
    [
      'the allowed host as user info of another host',
      'https://ehr.example.org',
      'https://ehr.example.org@evil.net',
      'https://evil.net',
      /.*/,
    ],
    [
      'another port',
      'https://ehr.example.org',
      'https://ehr.example.org:444',
      'https://ehr.example.org:444',
      /.*/,
    ],
    [
      'http for https',
      'https://ehr.example.org',
      'http://ehr.example.org',
      'http://ehr.example.org',
      /.*/,
    ],
    [
      'a sibling of the allowed path',
      FHIR,
      'https://ehr.example.org/fhir-other',
      'https://ehr.example.org',
      /^\/fhir-other/,
    ],
    [
      'a path that leaves the allowed one once resolved',
      FHIR,
      'https://ehr.example.org/fhir/../admin',
      'https://ehr.example.org',
      /^\/admin/,
    ],
  ];

  it.each(REFUSED)(
    'refuses %s (412) and never calls it',
    async (_name, allowed, fhirServer, host, path) => {
      const { app, url } = testApp({ allowedFhirServers: [allowed] });
      const evil = nock(host).get(path).query(true).reply(200, searchset([]));
      const res = await request(app).post(url).send(fromServer(fhirServer)).expect(412);
      expect(res.body.issue[0].diagnostics).toBe(
        `prefetch "patient" was not sent and fhirServer ${fhirServer} is not allowed by this service (ALLOWED_FHIR_SERVERS)`,
      );
      expect(evil.isDone()).toBe(false);
      expect(unmatched).toEqual([]);
    },
  );

  it('calls an allowed server, with the token, at the allowed path', async () => {
    const { app, url } = testApp({ allowedFhirServers: [FHIR] });
    const scope = serve(entries('patient')[0] ?? PREFETCH.patient);
    const res = await request(app).post(url).send(fromServer(FHIR)).expect(200);
    expect(res.body.cards[0].extension['prior-auth-criteria'].outcome).toBe('criteria-met');
    expect(scope.isDone()).toBe(true);
    expect(unmatched).toEqual([]);
  });
});
