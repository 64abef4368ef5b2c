import nock from 'nock';
import request from 'supertest';
import { coveragePrefetch } from '../support';
import {
  coverageInformationActions,
  coverageInformationViolations,
  crdResponseViolations,
  type CrdVersion,
} from '../kit/crd-checks';
import { allScenarioFiles, clone, example, scenario, testApp } from './helpers';

/**
 * Every response passes the Inferno CRD kit's server checks and the coverage-information rules of
 * the CRD version asked for (test/kit/crd-checks.ts), on every scenario of both policies, for
 * order-sign and order-select; the kit's follow-up calls are answered as it expects.
 */
const { app, url } = testApp();
const { app: payer, url: payerUrl } = testApp({ realtimeDetermination: true });
const selectUrl = '/cds-services/prior-auth-criteria-select';
const CI = 'http://hl7.org/fhir/us/davinci-crd/StructureDefinition/ext-coverage-information';

/** A scenario's order-sign request with one active Coverage, asking for `version` (2.0: none asked). */
function signed(file: string, version: CrdVersion, extra: Record<string, unknown> = {}): any {
  const body: any = clone(scenario(file).request);
  body.prefetch = { ...body.prefetch, coverage: coveragePrefetch(body.context.patientId) };
  body.extension = {
    ...(version === '2.2' ? { 'davinci-crd.requestedVersion': '2.2' } : {}),
    ...extra,
  };
  return body;
}

const value = (ext: any, url: string) => ext.extension.find((e: any) => e.url === url);
const annotations = (res: any): any[] =>
  coverageInformationActions(res).flatMap((a) =>
    a.resource.extension.filter((e: any) => e.url === CI),
  );

describe.each(['2.0', '2.2'] as const)('CRD %s', (version) => {
  it.each(allScenarioFiles())('order-sign %s passes the CRD checks', async (file) => {
    const body = signed(file, version);
    const res = await request(app).post(url).send(body).expect(200);
    expect(crdResponseViolations(body, res.body, version)).toEqual([]);
    // Every matched order with an id is annotated (a primary hook).
    const ids = res.body.cards.length > 0 ? coverageInformationActions(res.body) : [];
    if (res.body.cards.length > 0 && body.context.draftOrders.entry[0].resource.id)
      expect(ids.length).toBeGreaterThan(0);
  });

  it.each(allScenarioFiles())('order-select %s passes the CRD checks', async (file) => {
    const body = signed(file, version);
    body.hook = 'order-select';
    const drafts = body.context.draftOrders.entry
      .map((e: any) => e.resource)
      .filter((r: any) => r.id);
    if (drafts.length === 0) return;
    body.context.selections = [`${drafts[0].resourceType}/${drafts[0].id}`];
    const res = await request(app).post(selectUrl).send(body).expect(200);
    expect(crdResponseViolations(body, res.body, version)).toEqual([]);
    // CRD hook-19: order-select carries no call for clinical documentation.
    expect(coverageInformationActions(res.body)).toEqual([]);
  });
});

describe('the CRD 2.2.1 shape (davinci-crd.requestedVersion "2.2")', () => {
  it.each([
    [
      'myelomaMet',
      {
        covered: 'covered',
        'pa-needed': 'auth-needed',
        'doc-needed': 'clinical',
        'doc-purpose': 'withpa',
      },
    ],
    [
      'myelomaStaleEcog',
      {
        covered: 'conditional',
        'pa-needed': 'auth-needed',
        'doc-needed': 'clinical',
        'doc-purpose': 'withpa',
        'info-needed': 'OTH',
      },
    ],
  ] as const)(
    '%s is annotated %j with a reason and the policy version link',
    async (role, codes) => {
      const body = signed(example(role as never), '2.2');
      const res = await request(app).post(url).send(body).expect(200);
      const [ext] = annotations(res.body);
      for (const [k, v] of Object.entries(codes)) expect(value(ext, k).valueCode).toBe(v);
      expect(value(ext, 'reason').valueCodeableConcept.text).toMatch(/CC-0248/);
      const detail = value(ext, 'detail').extension;
      expect(detail.find((e: any) => e.url === 'code').valueCodeableConcept.coding[0].code).toBe(
        'policy-link',
      );
      expect(detail.find((e: any) => e.url === 'value').valueUrl).toMatch(
        /\/policies\/CC-0248\/versions\/\d{4}-\d{2}-\d{2}$/,
      );
      expect(coverageInformationViolations(ext, '2.2')).toEqual([]);
    },
  );

  it('documentation-needed names the criteria to document in its reason', async () => {
    const res = await request(app)
      .post(url)
      .send(signed(example('myelomaStaleEcog'), '2.2'))
      .expect(200);
    expect(value(annotations(res.body)[0], 'reason').valueCodeableConcept.text).toMatch(/: IV$/);
  });

  it('a not-met order is not-covered with no pa-needed (2.2 crd-ci-q2)', async () => {
    const file = allScenarioFiles().find(
      (f) => scenario(f).expected.outcome === 'criteria-not-met',
    )!;
    const res = await request(app).post(url).send(signed(file, '2.2')).expect(200);
    const [ext] = annotations(res.body);
    expect(value(ext, 'covered').valueCode).toBe('not-covered');
    expect(value(ext, 'pa-needed')).toBeUndefined();
    expect(coverageInformationViolations(ext, '2.2')).toEqual([]);
  });

  it('the same call twice gives the same assertion id; the 2.0 and 2.2 shapes of one decision share it', async () => {
    const body = signed(example('myelomaMet'), '2.2');
    const id = async (b: any) =>
      value(
        annotations((await request(app).post(url).send(b).expect(200)).body)[0],
        'coverage-assertion-id',
      ).valueString;
    const first = await id(body);
    expect(await id(body)).toBe(first);
    expect(await id(signed(example('myelomaMet'), '2.0'))).toBe(first);
  });

  it("with the payer's real-time switch, criteria met is pa-needed satisfied with a satisfied-pa-id and no doc-purpose", async () => {
    const body = signed(example('myelomaMet'), '2.2');
    const res = await request(payer).post(payerUrl).send(body).expect(200);
    const [ext] = annotations(res.body);
    expect(value(ext, 'pa-needed').valueCode).toBe('satisfied');
    expect(value(ext, 'satisfied-pa-id').valueString).toMatch(/^PA-CC-0248-/);
    expect(value(ext, 'doc-purpose')).toBeUndefined();
    expect(crdResponseViolations(body, res.body, '2.2')).toEqual([]);
  });

  it('answers 400 with an OperationOutcome when no Coverage, or several, are active (CRD 2.2 hooks.md)', async () => {
    const none = signed(example('myelomaMet'), '2.2');
    none.prefetch.coverage = { resourceType: 'Bundle', type: 'searchset', entry: [] };
    const res = await request(app).post(url).send(none).expect(400);
    expect(res.body.resourceType).toBe('OperationOutcome');
    expect(res.body.issue[0].diagnostics).toMatch(/no active Coverage/);
    const two = signed(example('myelomaMet'), '2.2');
    const second = clone(two.prefetch.coverage.entry[0]);
    second.resource.id = 'cov-2';
    two.prefetch.coverage.entry.push(second);
    const res2 = await request(app).post(url).send(two).expect(400);
    expect(res2.body.issue[0].diagnostics).toMatch(
      /2 active Coverages \(Coverage\/cov-1, Coverage\/cov-2\)/,
    );
    // Not asked for coverage information: no Coverage is needed.
    none.extension['davinci-crd.configuration'] = { 'coverage-info': false };
    await request(app).post(url).send(none).expect(200);
    // The 2.0.1 shape keeps its behaviour: cards, no annotation.
    const old = signed(example('myelomaMet'), '2.0');
    old.prefetch.coverage = { resourceType: 'Bundle', type: 'searchset', entry: [] };
    const res3 = await request(app).post(url).send(old).expect(200);
    expect(res3.body.systemActions).toEqual([]);
  });

  it('with PAYER_IDENTIFIERS set, a Coverage of another payer is a 400 (CRD 2.2 hooks.md)', async () => {
    const npi = 'http://hl7.org/fhir/sid/us-npi|1234567893';
    const payerApp = testApp({ payerIdentifiers: [npi] });
    const body = signed(example('myelomaMet'), '2.2');
    const res = await request(payerApp.app).post(url).send(body).expect(400);
    expect(res.body.issue[0].diagnostics).toMatch(
      /Coverage\/cov-1: its payor has no identifier of a payer this service handles/,
    );
    body.prefetch.coverage.entry[0].resource.payor = [
      { identifier: { system: 'http://hl7.org/fhir/sid/us-npi', value: '1234567893' } },
    ];
    await request(payerApp.app).post(url).send(body).expect(200);
  });

  describe('a technical failure of the EHR FHIR server', () => {
    afterEach(() => nock.cleanAll());
    const failing = (version: CrdVersion) => {
      const body = signed(example('myelomaMet'), version);
      delete body.prefetch.conditions;
      body.fhirServer = 'https://ehr.example.org/fhir';
      body.fhirAuthorization = {
        access_token: 'tok',
        token_type: 'Bearer',
        scope: 'user/*.read',
        subject: 'x',
      };
      nock('https://ehr.example.org')
        .get(/\/fhir\/Condition/)
        .reply(500, 'down')
        .persist();
      return body;
    };

    it('is annotated indeterminate with reason technical under 2.2, with the warning card', async () => {
      const body = failing('2.2');
      const res = await request(
        testApp({ allowedFhirServers: ['https://ehr.example.org/fhir'] }).app,
      )
        .post(url)
        .send(body)
        .expect(200);
      const [ext] = annotations(res.body);
      expect(value(ext, 'covered').valueCode).toBe('indeterminate');
      expect(value(ext, 'reason').valueCodeableConcept.coding).toEqual([
        {
          system: 'http://hl7.org/fhir/us/davinci-crd/CodeSystem/temp',
          code: 'technical',
          display: 'Technical issues',
        },
      ]);
      expect(value(ext, 'reason').valueCodeableConcept.text).toMatch(/Technical issue/);
      expect(res.body.cards[0].indicator).toBe('warning');
      expect(res.body.cards[0].extension['prior-auth-criteria'].outcome).toBe('error');
      expect(crdResponseViolations(body, res.body, '2.2')).toEqual([]);
    });

    it('stays a 412 with an OperationOutcome under 2.0.1', async () => {
      const res = await request(
        testApp({ allowedFhirServers: ['https://ehr.example.org/fhir'] }).app,
      )
        .post(url)
        .send(failing('2.0'))
        .expect(412);
      expect(res.body.resourceType).toBe('OperationOutcome');
    });
  });
});

describe("the Inferno kit's follow-up calls", () => {
  const body = () => signed(example('myelomaMet'), '2.2');

  it('coverage-info false: no coverage-info cards and no coverage-information action', async () => {
    const b = body();
    b.extension['davinci-crd.configuration'] = { 'coverage-info': false };
    const res = await request(app).post(url).send(b).expect(200);
    expect(res.body.cards.filter((c: any) => c.source.topic.code === 'coverage-info')).toEqual([]);
    expect(coverageInformationActions(res.body)).toEqual([]);
  });

  it.each([
    [
      'an unknown configuration option',
      (b: any) =>
        (b.extension['davinci-crd.configuration'] = {
          qwertyuiopasdfgh: true,
          coverage: true,
          'max-cards': 10,
        }),
    ],
    ['an unknown context field', (b: any) => (b.context.zxcvbnmlkjhgfdsa = 'abc')],
    ['an unknown top-level element', (b: any) => (b.poiuytrewqlkjhgf = 'abc')],
    [
      'null prefetch values',
      (b: any) => Object.assign(b.prefetch, { encounter: null, practitioners: null }),
    ],
  ])('%s: still 200 with coverage information', async (_what, change) => {
    const b = body();
    change(b);
    const res = await request(app).post(url).send(b).expect(200);
    expect(coverageInformationActions(res.body)).toHaveLength(1);
    expect(crdResponseViolations(b, res.body, '2.2')).toEqual([]);
  });
});

describe('the checks can fail', () => {
  it('catch what the kit and the IG would', async () => {
    const b = signed(example('myelomaMet'), '2.2');
    const res = await request(app).post(url).send(b).expect(200);
    const broken = (change: (r: any) => void) => {
      const copy = clone(res.body);
      change(copy);
      return crdResponseViolations(b, copy, '2.2');
    };
    const ext = (r: any) => r.systemActions[0].resource.extension.find((e: any) => e.url === CI);
    expect(
      broken(
        (r) =>
          (ext(r).extension = ext(r).extension.filter(
            (e: any) => e.url !== 'coverage-assertion-id',
          )),
      ),
    ).toContainEqual(expect.stringMatching(/coverage-assertion-id: required/));
    expect(broken((r) => (value(ext(r), 'covered').valueCode = 'not-covered'))).toContainEqual(
      expect.stringMatching(/crd-ci-q2 fails/),
    );
    expect(
      broken(
        (r) =>
          (ext(r).extension = ext(r).extension.filter(
            (e: any) => e.url !== 'info-needed' && e.url !== 'reason',
          )),
      ),
    ).toContainEqual(expect.stringMatching(/crd-ci-q8 fails/));
    expect(broken((r) => (r.systemActions[0].resource.status = 'active'))).toContainEqual(
      expect.stringMatching(/changed outside the coverage-information extension/),
    );
    expect(broken((r) => (r.cards[0].summary = 'x'.repeat(140)))).toContainEqual(
      expect.stringMatching(/over 139/),
    );
    expect(broken((r) => delete r.systemActions)).toContainEqual(
      expect.stringMatching(/systemActions: required/),
    );
    expect(broken((r) => r.systemActions[0].resource.extension.push(clone(ext(r))))).toEqual([]);
    expect(
      broken((r) => {
        const again = clone(ext(r));
        value(again, 'coverage-assertion-id').valueString = 'other';
        r.systemActions[0].resource.extension.push(again);
      }),
    ).toContainEqual(expect.stringMatching(/different coverage-assertion-ids/));
    // A 2.2 code in a 2.0 response.
    const old = clone(res.body);
    value(ext(old), 'covered').valueCode = 'indeterminate';
    expect(crdResponseViolations(b, old, '2.0')).toContainEqual(
      expect.stringMatching(/covered: indeterminate is not in the required value set/),
    );
  });
});
