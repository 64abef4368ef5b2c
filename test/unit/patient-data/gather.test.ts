import nock from 'nock';
import {
  gatherPatientData,
  type DataRequest,
  type GatherPlan,
} from '../../../src/patient-data/gather';
import { fhirOptionsFor, unmatchedRequests } from '../../support';

/**
 * Rule 13: a prefetch searchset with a next link is completed from the FHIR server (the token,
 * the same limits as fetched searches, links only on the allowed fhirServer); an empty prefetch
 * searchset is data ("none") and is never asked again; a partial searchset with no server to ask
 * is a 412.
 */
const FHIR = 'https://ehr.example.org/fhir';
const TOKEN = 'page-token-41d0';
const OPTIONS = fhirOptionsFor(FHIR);
const PLAN: GatherPlan = {
  templates: {
    patient: 'Patient/{{context.patientId}}',
    conditions: 'Condition?patient={{context.patientId}}',
    coverage: 'Coverage?patient={{context.patientId}}&status=active',
  },
  keys: ['patient', 'conditions'],
  coverageKey: 'coverage',
};

const PATIENT = { resourceType: 'Patient', id: 'pt-1' };
const condition = (id: string, patient = 'pt-1') => ({
  resourceType: 'Condition',
  id,
  subject: { reference: `Patient/${patient}` },
});
const searchset = (resources: unknown[], next?: string) => ({
  resourceType: 'Bundle',
  type: 'searchset',
  ...(next
    ? {
        link: [
          { relation: 'self', url: `${FHIR}/x` },
          { relation: 'next', url: next },
        ],
      }
    : {}),
  entry: resources.map((resource) => ({ resource })),
});
const dataRequest = (prefetch: Record<string, unknown>, fhirServer?: string): DataRequest => ({
  patientId: 'pt-1',
  userId: 'Practitioner/1',
  prefetch: { patient: PATIENT, coverage: searchset([]), ...prefetch },
  ...(fhirServer ? { fhirServer, accessToken: TOKEN } : {}),
  draftResources: [],
});
const ids = (bundle: { entry?: { resource?: { resourceType: string; id?: string } }[] }) =>
  (bundle.entry ?? []).map((e) => `${e.resource?.resourceType}/${e.resource?.id}`);
const auth = { reqheaders: { authorization: `Bearer ${TOKEN}` } };

const unmatched = unmatchedRequests();

describe('an empty prefetch searchset', () => {
  it('is data: not asked again even with an allowed fhirServer', async () => {
    const data = await gatherPatientData(
      dataRequest({ conditions: searchset([]) }, FHIR),
      PLAN,
      OPTIONS,
    );
    expect(ids(data.bundle)).toEqual(['Patient/pt-1']);
    expect(data.fetched).toEqual([]);
    expect(nock.pendingMocks()).toEqual([]);
    expect(unmatched).toEqual([]);
  });

  it('a missing or null key is still fetched', async () => {
    const scope = nock(FHIR, auth)
      .get('/Condition')
      .query({ patient: 'pt-1' })
      .reply(200, searchset([condition('c1')]));
    const data = await gatherPatientData(dataRequest({ conditions: null }, FHIR), PLAN, OPTIONS);
    expect(scope.isDone()).toBe(true);
    expect(ids(data.bundle)).toContain('Condition/c1');
    expect(data.fetched).toEqual(['conditions']);
  });
});

describe('a prefetch searchset with a next link', () => {
  const PAGE_2 = `${FHIR}/Condition?patient=pt-1&_page=2`;
  const PAGE_3 = `${FHIR}/Condition?patient=pt-1&_page=3`;

  it('is completed from the fhirServer with the token, page after page', async () => {
    const scope = nock(FHIR, auth)
      .get('/Condition')
      .query({ patient: 'pt-1', _page: '2' })
      .reply(200, searchset([condition('c2')], PAGE_3))
      .get('/Condition')
      .query({ patient: 'pt-1', _page: '3' })
      .reply(200, searchset([condition('c3')]));
    const data = await gatherPatientData(
      dataRequest({ conditions: searchset([condition('c1')], PAGE_2) }, FHIR),
      PLAN,
      OPTIONS,
    );
    expect(scope.isDone()).toBe(true);
    expect(ids(data.bundle)).toEqual([
      'Patient/pt-1',
      'Condition/c1',
      'Condition/c2',
      'Condition/c3',
    ]);
    expect(data.fetched).toEqual(['conditions']);
  });

  it('drops (and counts) what a later page holds of another patient or of another type', async () => {
    nock(FHIR)
      .get('/Condition')
      .query(true)
      .reply(200, searchset([condition('c2', 'pt-2'), { resourceType: 'Observation', id: 'o' }]));
    const data = await gatherPatientData(
      dataRequest({ conditions: searchset([condition('c1')], PAGE_2) }, FHIR),
      PLAN,
      OPTIONS,
    );
    expect(ids(data.bundle)).toEqual(['Patient/pt-1', 'Condition/c1']);
    expect(data.dropped).toEqual({ otherPatient: 1, wrongType: 1 });
  });

  it('is held to FHIR_MAX_PAGES, the prefetch page counting as the first', async () => {
    nock(FHIR)
      .get('/Condition')
      .query({ patient: 'pt-1', _page: '2' })
      .reply(200, searchset([condition('c2')], PAGE_3))
      .get('/Condition')
      .query({ patient: 'pt-1', _page: '3' })
      .reply(200, searchset([condition('c3')], `${FHIR}/Condition?patient=pt-1&_page=4`));
    await expect(
      gatherPatientData(dataRequest({ conditions: searchset([], PAGE_2) }, FHIR), PLAN, OPTIONS),
    ).rejects.toMatchObject({
      status: 412,
      message: 'prefetch "conditions": more than 3 pages of results (FHIR_MAX_PAGES)',
    });
    expect(unmatched).toEqual([]);
  });

  it('is held to FHIR_MAX_RESOURCES', async () => {
    nock(FHIR)
      .get('/Condition')
      .query(true)
      .reply(200, searchset([condition('c2'), condition('c3')]));
    await expect(
      gatherPatientData(dataRequest({ conditions: searchset([], PAGE_2) }, FHIR), PLAN, {
        ...OPTIONS,
        maxResources: 1,
      }),
    ).rejects.toMatchObject({ status: 412, message: expect.stringMatching(/FHIR_MAX_RESOURCES/) });
  });

  it.each([
    [
      'another host that starts with the server host',
      'https://ehr.example.org.evil.net/fhir/Condition?page=2',
    ],
    ['the server host as user info', 'https://ehr.example.org@evil.net/fhir/Condition?page=2'],
    ['another path on the same host', 'https://ehr.example.org/fhir-other/Condition?page=2'],
    [
      'a path that leaves the server once resolved',
      'https://ehr.example.org/fhir/../admin/Condition',
    ],
    ['plain http', 'http://ehr.example.org/fhir/Condition?page=2'],
    ['a relative link', '/fhir/Condition?page=2'],
  ])('leading to %s is refused (412) and never called', async (_why, next) => {
    const evil = nock(/.*/)
      .get(/.*/)
      .reply(200, searchset([condition('stolen')]));
    await expect(
      gatherPatientData(
        dataRequest({ conditions: searchset([condition('c1')], next) }, FHIR),
        PLAN,
        OPTIONS,
      ),
    ).rejects.toMatchObject({
      status: 412,
      message: `prefetch "conditions": a next link leaves the FHIR server ${FHIR}; not followed`,
    });
    expect(evil.isDone()).toBe(false);
    expect(unmatched).toEqual([]);
  });

  it('with no fhirServer to ask is a 412 that says the data is incomplete', async () => {
    await expect(
      gatherPatientData(
        dataRequest({ conditions: searchset([condition('c1')], PAGE_2) }),
        PLAN,
        OPTIONS,
      ),
    ).rejects.toMatchObject({
      status: 412,
      message:
        'prefetch "conditions" is incomplete (its searchset has a next link) and the request has no fhirServer to fetch the rest from',
    });
  });

  it('with a fhirServer configuration does not allow is a 412, and the server is not called', async () => {
    const other = 'https://other.example.net/fhir';
    await expect(
      gatherPatientData(
        dataRequest(
          { conditions: searchset([condition('c1')], `${other}/Condition?_page=2`) },
          other,
        ),
        PLAN,
        OPTIONS,
      ),
    ).rejects.toMatchObject({
      status: 412,
      message: `prefetch "conditions" is incomplete (its searchset has a next link) and fhirServer ${other} is not allowed by this service (ALLOWED_FHIR_SERVERS)`,
    });
    expect(unmatched).toEqual([]);
  });

  it('for the optional Coverage key, with no server, uses the first page as is', async () => {
    const coverage = {
      resourceType: 'Coverage',
      id: 'cov-1',
      status: 'active',
      beneficiary: { reference: 'Patient/pt-1' },
    };
    const data = await gatherPatientData(
      dataRequest({
        conditions: searchset([condition('c1')]),
        coverage: searchset([coverage], `${FHIR}/Coverage?_page=2`),
      }),
      PLAN,
      OPTIONS,
    );
    expect(data.coverage?.id).toBe('cov-1');
  });

  it('is still checked: a first page about another patient is a 400', async () => {
    await expect(
      gatherPatientData(
        dataRequest({ conditions: searchset([condition('c1', 'pt-2')], PAGE_2) }, FHIR),
        PLAN,
        OPTIONS,
      ),
    ).rejects.toMatchObject({ status: 400 });
    expect(unmatched).toEqual([]);
  });
});

describe('Medications the draft orders reference', () => {
  it('are in the record', async () => {
    const med = { resourceType: 'Medication' as const, id: 'srv-med', code: { text: 'x' } };
    const data = await gatherPatientData(
      { ...dataRequest({ conditions: searchset([]) }), referencedMedications: [med] },
      PLAN,
      OPTIONS,
    );
    expect(ids(data.bundle)).toEqual(['Patient/pt-1', 'Medication/srv-med']);
  });
});
