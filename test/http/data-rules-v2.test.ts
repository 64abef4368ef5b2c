import type { Bundle, MedicationRequest } from 'fhir/r4';
import nock from 'nock';
import request from 'supertest';
import type { Evaluate, EvaluationInput } from '../../src/engine/evaluator';
import { clone, content, example, examplePolicy, scenario, testApp } from './helpers';

/**
 * Issue 10, "data rules v2", through the service over HTTP (nock at the FHIR edge): draft orders
 * without an id (rule 3), the drug-name fallback and medicationReference resolution (rule 10),
 * another patient's draft order (rule 11), prefetch paging and empty searchsets (rule 13).
 */
const FHIR = 'https://ehr.example.org/fhir';
const TOKEN = 'rules-v2-token-6a93';
const BLINCYTO = example('allMet');
const ELREXFIO = example('myelomaMet');
const HCPCS = 'https://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets';
const auth = { reqheaders: { authorization: `Bearer ${TOKEN}` } };

const searchset = (resources: unknown[], next?: string) => ({
  resourceType: 'Bundle',
  type: 'searchset',
  ...(next ? { link: [{ relation: 'next', url: next }] } : {}),
  entry: resources.map((resource) => ({ resource })),
});
const COVERAGE = {
  resourceType: 'Coverage',
  id: 'cov-1',
  status: 'active',
  beneficiary: { reference: 'Patient/pt-1' },
};
const BLINCYTO_MED = {
  resourceType: 'Medication',
  id: 'med-blin',
  code: { coding: [{ system: HCPCS, code: 'J9039' }], text: 'Blincyto 35 mcg' },
};

/** A scenario's request, to be changed by the test. */
const body = (file: string): any => clone(scenario(file).request);
const drafts = (b: any): any[] => b.context.draftOrders.entry.map((e: any) => e.resource);
const withServer = (b: any) => ({
  ...b,
  fhirServer: FHIR,
  fhirAuthorization: { access_token: TOKEN, token_type: 'Bearer' },
});
/** The Blincyto request with its draft order pointing at a Medication instead of coding the drug. */
function referencing(reference: string) {
  const b = body(BLINCYTO);
  delete drafts(b)[0].medicationCodeableConcept;
  drafts(b)[0].medicationReference = { reference };
  return b;
}
const results = (res: { body: any }) =>
  res.body.cards.map((c: any) => c.extension['prior-auth-criteria']);
const outcomes = (res: { body: any }) => results(res).map((r: any) => `${r.policy}:${r.outcome}`);
/** Cards without their per-response uuid, to compare two responses. */
const stripped = (res: { body: any }) => res.body.cards.map(({ uuid: _u, ...rest }: any) => rest);

/** Every evaluation the service runs, recorded (then run as usual). */
const evaluated: EvaluationInput[] = [];
const evaluate: Evaluate = async (program, input, expressions) => {
  evaluated.push(input);
  return content().engine.evaluator.evaluate(program, input, expressions);
};
const recordIds = (bundle: Bundle) =>
  (bundle.entry ?? []).map((e) => `${e.resource?.resourceType}/${e.resource?.id}`);

/** Outbound requests nock saw without an interceptor (refused: no network), supertest's own aside. */
const unmatched: string[] = [];
const onNoMatch = (req: { method?: string; href?: string; path?: string }) => {
  const where = req.href ?? req.path ?? '?';
  if (!where.startsWith('http://127.0.0.1:')) unmatched.push(`${req.method ?? '?'} ${where}`);
};

beforeAll(() => {
  nock.disableNetConnect();
  nock.enableNetConnect('127.0.0.1'); // supertest talks to the app on loopback
  nock.emitter.on('no match', onNoMatch);
});
afterEach(() => {
  nock.cleanAll();
  unmatched.length = 0;
  evaluated.length = 0;
});
afterAll(() => {
  nock.emitter.removeListener('no match', onNoMatch);
  nock.enableNetConnect();
});

const { app, url } = testApp({ allowedFhirServers: [FHIR] }, { evaluate });
const post = (b: object) => request(app).post(url).set('Host', 'cds.example.org').send(b);

describe('a draft order without an id (rule 3)', () => {
  it('is the order being signed: evaluated, with the card an id would get (no CRD update: nothing to match it by)', async () => {
    const withId = body(BLINCYTO);
    withId.prefetch.coverage = COVERAGE;
    const idless = clone(withId);
    delete drafts(idless)[0].id;
    const baseline = await post(withId).expect(200);
    const res = await post(idless).expect(200);
    expect(outcomes(res)).toHaveLength(1);
    expect(outcomes(res)).toEqual(outcomes(baseline));
    expect(evaluated.map((e) => e.draftOrder.id)).toEqual(['draft-blincyto', undefined]);
    expect(baseline.body.systemActions).toHaveLength(1);
    // CRD annotates the draft by id; an update without one could not be matched to an order.
    expect(res.body.systemActions).toHaveLength(0);
  });

  it('two drafts without an id are two orders, each evaluated with the other as context', async () => {
    const b = body(BLINCYTO);
    delete drafts(b)[0].id;
    b.context.draftOrders.entry.push(clone(b.context.draftOrders.entry[0]));
    const res = await post(b).expect(200);
    const policy = examplePolicy('allMet').definition.id;
    expect(results(res).map((r: any) => r.policy)).toEqual([policy, policy]);
    expect(results(res).every((r: any) => r.outcome !== 'error')).toBe(true);
    expect(evaluated).toHaveLength(2);
    const [a, b2] = evaluated as [EvaluationInput, EvaluationInput];
    expect(a.draftOrder).not.toBe(b2.draftOrder);
    expect(a.otherDraftOrders).toHaveLength(1);
    expect(a.otherDraftOrders[0]).toBe(b2.draftOrder);
    expect(b2.otherDraftOrders[0]).toBe(a.draftOrder);
  });

  it('two drafts with one id are still refused', async () => {
    const b = body(BLINCYTO);
    b.context.draftOrders.entry.push(clone(b.context.draftOrders.entry[0]));
    const res = await post(b).expect(400);
    expect(res.body.issue[0].diagnostics).toMatch(/same id/);
  });
});

describe('the drug-name fallback (rule 10)', () => {
  it('never selects a drug coded as another drug, whatever its text says', async () => {
    const b = body(BLINCYTO);
    drafts(b)[0].medicationCodeableConcept = {
      coding: [{ system: 'http://www.nlm.nih.gov/research/umls/rxnorm', code: '121191' }],
      text: 'blinatumomab (Blincyto) 28 mcg/day',
    };
    expect((await post(b).expect(200)).body).toEqual({ cards: [], systemActions: [] });
    expect(evaluated).toEqual([]);
    // The same text on a drug with no code at all is recognised by name, and the card says so.
    delete drafts(b)[0].medicationCodeableConcept.coding;
    const byName = await post(b).expect(200);
    expect(byName.body.cards).toHaveLength(1);
    expect(byName.body.cards[0].detail).toMatch(/recognised by the drug name only/);
  });
});

describe('medicationReference (rule 10)', () => {
  it('is resolved from an _include entry of a prefetch searchset and selected by its codes', async () => {
    const baseline = await post(body(BLINCYTO)).expect(200);
    const b = referencing('Medication/med-blin');
    b.prefetch.medicationRequests.entry.push({
      resource: BLINCYTO_MED,
      search: { mode: 'include' },
    });
    const res = await post(b).expect(200);
    expect(outcomes(res)).toEqual(outcomes(baseline));
    expect(res.body.cards[0].detail).not.toMatch(/recognised by the drug name only/);
    expect(recordIds(evaluated[1]!.bundle)).toContain('Medication/med-blin');
  });

  it('is read off the FHIR server, with the token, when it is nowhere in the request; it reaches the record', async () => {
    const baseline = await post(body(BLINCYTO)).expect(200);
    const b = withServer(referencing('Medication/med-blin'));
    b.prefetch.coverage = searchset([]);
    const scope = nock(FHIR, auth).get('/Medication/med-blin').reply(200, BLINCYTO_MED);
    const res = await post(b).expect(200);
    expect(scope.isDone()).toBe(true);
    expect(unmatched).toEqual([]);
    expect(outcomes(res)).toEqual(outcomes(baseline));
    expect(res.body.cards[0].detail).not.toMatch(/recognised by the drug name only/);
    expect(recordIds(evaluated[1]!.bundle)).toContain('Medication/med-blin');
    expect(evaluated[1]!.draftOrder.medicationReference).toEqual({
      reference: 'Medication/med-blin',
    });
  });

  it('found nowhere gives no card for that order, and no error', async () => {
    // No server to ask.
    const none = await post(referencing('Medication/med-blin')).expect(200);
    expect(none.body).toEqual({ cards: [], systemActions: [] });
    // The server does not have it.
    const scope = nock(FHIR, auth).get('/Medication/med-blin').reply(404);
    const missing = await post(withServer(referencing('Medication/med-blin'))).expect(200);
    expect(scope.isDone()).toBe(true);
    expect(missing.body).toEqual({ cards: [], systemActions: [] });
    // On another server: the token never goes there.
    const elsewhere = withServer(
      referencing('https://ehr.example.org.evil.net/fhir/Medication/med-blin'),
    );
    expect((await post(elsewhere).expect(200)).body).toEqual({ cards: [], systemActions: [] });
    expect(unmatched).toEqual([]);
    expect(evaluated).toEqual([]);
  });
});

describe("another patient's draft order (rule 11)", () => {
  it('is a 400 that names the order by its id, and nothing is evaluated', async () => {
    const b = body(BLINCYTO);
    drafts(b)[0].subject = { reference: 'Patient/other' };
    const res = await post(b).expect(400);
    expect(res.body.issue[0].diagnostics).toBe(
      'context.draftOrders.entry[0] (MedicationRequest/draft-blincyto): its subject is "Patient/other", not Patient/pt-1 (context.patientId); the order is not evaluated',
    );
    expect(evaluated).toEqual([]);
  });

  it('names an order without an id by its position', async () => {
    const b = body(BLINCYTO);
    const other: MedicationRequest = clone(drafts(b)[0]);
    delete other.id;
    other.subject = { reference: 'https://ehr.example.org/fhir/Patient/pt-2' };
    b.context.draftOrders.entry.push({ resource: other });
    const res = await post(b).expect(400);
    expect(res.body.issue[0].diagnostics).toMatch(
      /^context\.draftOrders\.entry\[1\] \(a MedicationRequest without id\): its subject is "https:\/\/ehr\.example\.org\/fhir\/Patient\/pt-2"/,
    );
    expect(evaluated).toEqual([]);
  });

  it.each([
    [
      'an absolute URL to the context patient',
      { reference: 'https://ehr.example.org/fhir/Patient/pt-1' },
    ],
    ['no subject', undefined],
    ['a subject without a reference', { display: 'the patient' }],
  ])('accepts a draft order with %s', async (_what, subject) => {
    const b = body(BLINCYTO);
    if (subject) drafts(b)[0].subject = subject;
    else delete drafts(b)[0].subject;
    const res = await post(b).expect(200);
    expect(res.body.cards).toHaveLength(1);
  });
});

describe('prefetch paging and empty searchsets (rule 13)', () => {
  /** The Elrexfio request with every key sent (Coverage empty), so nothing else is fetched. */
  const complete = () => {
    const b = body(ELREXFIO);
    b.prefetch.coverage = searchset([]);
    return b;
  };
  const observations = (b: any) => b.prefetch.observations.entry.map((e: any) => e.resource);

  it("follows a prefetch searchset's next link with the token: page 2 reaches the evaluation", async () => {
    const full = await post(complete()).expect(200);
    const b = withServer(complete());
    const page2 = observations(b);
    expect(page2.length).toBeGreaterThan(0);
    b.prefetch.observations = searchset([], `${FHIR}/Observation?patient=pt-1&_page=2`);
    const withoutPage2 = clone(b);
    withoutPage2.prefetch.observations = searchset([]);
    const scope = nock(FHIR, auth)
      .get('/Observation')
      .query({ patient: 'pt-1', _page: '2' })
      .reply(200, searchset(page2));
    const res = await post(b).expect(200);
    expect(scope.isDone()).toBe(true);
    expect(unmatched).toEqual([]);
    expect(stripped(res)).toEqual(stripped(full));
    // Page 2 decided something: without it the cards differ.
    const partial = await post(withoutPage2).expect(200);
    expect(stripped(partial)).not.toEqual(stripped(full));
    const ids = recordIds(evaluated[1]!.bundle);
    for (const o of page2) expect(ids).toContain(`Observation/${o.id}`);
  });

  it('takes an empty prefetch searchset as "none" and asks the FHIR server nothing', async () => {
    const b = complete();
    b.prefetch.observations = searchset([]);
    const noServer = await post(b).expect(200);
    const res = await post(withServer(b)).expect(200);
    expect(unmatched).toEqual([]);
    expect(nock.pendingMocks()).toEqual([]);
    expect(stripped(res)).toEqual(stripped(noServer));
  });

  it('refuses (412) a next link to another host and never calls it', async () => {
    const evil = nock('https://ehr.example.org.evil.net').get(/.*/).reply(200, searchset([]));
    const b = withServer(complete());
    b.prefetch.observations = searchset(
      [],
      'https://ehr.example.org.evil.net/fhir/Observation?patient=pt-1&_page=2',
    );
    const res = await post(b).expect(412);
    expect(res.body.issue[0].diagnostics).toBe(
      `prefetch "observations": a next link leaves the FHIR server ${FHIR}; not followed`,
    );
    expect(evil.isDone()).toBe(false);
    expect(unmatched).toEqual([]);
    expect(JSON.stringify(res.body)).not.toContain(TOKEN);
  });

  it('is a 412 when a searchset has a next link and there is no fhirServer to follow it', async () => {
    const b = complete();
    b.prefetch.observations = searchset(
      observations(b),
      `${FHIR}/Observation?patient=pt-1&_page=2`,
    );
    const res = await post(b).expect(412);
    expect(res.body.issue[0].diagnostics).toBe(
      'prefetch "observations" is incomplete (its searchset has a next link) and the request has no fhirServer to fetch the rest from',
    );
    expect(evaluated).toEqual([]);
  });
});
