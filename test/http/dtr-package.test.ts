import request from 'supertest';
import { coverageResource } from '../support';
import { clone, content, example, NOW, scenario, testApp } from './helpers';

/**
 * DTR $questionnaire-package, checked against the DTR 2.2.0 rules that can be checked offline
 * (written from the IG and the Inferno DTR kit's payer-server tests): the Parameters shape, one
 * package Bundle per form with the Questionnaire first, the initial response, every Library with
 * CQL and ELM, version-specific references, the ValueSets, and the errors.
 */
const { app } = testApp();
const OP = '/fhir/Questionnaire/$questionnaire-package';
const coverage = coverageResource();
const order = () =>
  clone(scenario(example('myelomaStaleEcog')).request.context.draftOrders.entry![0]!.resource);
const params = (...parameter: unknown[]) => ({ resourceType: 'Parameters', parameter });
const post = (body: unknown) =>
  request(app).post(OP).set('Content-Type', 'application/fhir+json').send(JSON.stringify(body));

const decode = (data: string) => Buffer.from(data, 'base64').toString('utf8');

describe('$questionnaire-package', () => {
  it('packages the form of the policy the order triggers, as DTR 2.2.0 lays it out', async () => {
    const res = await post(
      params({ name: 'coverage', resource: coverage }, { name: 'order', resource: order() }),
    ).expect(200);
    expect(res.headers['content-type']).toMatch(/application\/fhir\+json/);
    const out = JSON.parse(res.text);
    expect(out.resourceType).toBe('Parameters');
    const bundles = out.parameter.filter((p: any) => p.name === 'packagebundle');
    expect(bundles).toHaveLength(1);
    const bundle = bundles[0].resource;
    expect(bundle).toMatchObject({ resourceType: 'Bundle', type: 'collection' });
    const resources = bundle.entry.map((e: any) => e.resource);
    // dtrb-1: the Questionnaire first; only Questionnaire, one QR, Libraries and ValueSets.
    const [q, ...rest] = resources;
    expect(q.resourceType).toBe('Questionnaire');
    expect(q.url).toBe('http://example.org/fhir/pa-cds/Questionnaire/CC-0248');
    expect(q.version).toBe('2025-11-14');
    expect(q.subjectType).toEqual(['Patient']);
    expect(q.text.div).toMatch(/^<div xmlns="http:\/\/www.w3.org\/1999\/xhtml">/);
    expect(new Set(rest.map((r: any) => r.resourceType))).toEqual(
      new Set(['QuestionnaireResponse', 'Library', 'ValueSet']),
    );
    const qrs = rest.filter((r: any) => r.resourceType === 'QuestionnaireResponse');
    expect(qrs).toHaveLength(1);
    // oper-18 / spec-122: the initial response.
    expect(qrs[0]).toMatchObject({
      status: 'in-progress',
      questionnaire: `${q.url}|${q.version}`,
      subject: { reference: 'Patient/pt-1' },
    });
    const ext = (url: string) => qrs[0].extension.find((e: any) => e.url.endsWith(url));
    expect(ext('/qr-coverage').valueReference).toEqual({ reference: 'Coverage/cov-1' });
    expect(ext('/qr-context').valueReference.reference).toMatch(/^MedicationRequest\//);
    // oper-12/13/16: every Library the form names, with what it depends on; CQL and ELM; versioned.
    const libraries = rest.filter((r: any) => r.resourceType === 'Library');
    const byKey = new Map(libraries.map((l: any) => [`${l.url}|${l.version}`, l]));
    const cqf = q.extension.find((e: any) => e.url.endsWith('/cqf-library')).valueCanonical;
    expect(cqf).toMatch(/\|1\.0\.0$/);
    const seen = new Set<string>();
    const walk = (key: string) => {
      const lib: any = byKey.get(key);
      expect(lib).toBeDefined();
      if (seen.has(key)) return;
      seen.add(key);
      for (const d of lib.relatedArtifact ?? []) {
        expect(d.type).toBe('depends-on');
        expect(d.resource).toMatch(/\|\d+\.\d+\.\d+$/);
        walk(d.resource);
      }
    };
    walk(cqf);
    expect([...seen].map((k) => k.split('/').pop()).sort()).toEqual([
      'ElrexfioPrepopulation|1.0.0',
      'ElrexfioPriorAuth|1.0.0',
      'FHIRHelpers|4.0.1',
      'PriorAuthCommon|1.0.0',
    ]);
    expect(new Set(libraries.map((l: any) => l.name)).size).toBe(libraries.length);
    for (const lib of libraries) {
      const types = lib.content.map((c: any) => c.contentType).sort();
      expect(types).toEqual(['application/elm+json', 'text/cql']);
      const cql = decode(lib.content.find((c: any) => c.contentType === 'text/cql').data);
      expect(cql).toMatch(new RegExp(`^library ${lib.name} version '${lib.version}'`, 'm'));
      const elm = JSON.parse(
        decode(lib.content.find((c: any) => c.contentType === 'application/elm+json').data),
      );
      expect(elm.library.identifier).toEqual({ id: lib.name, version: lib.version });
    }
    // The ValueSets the Libraries use, expanded.
    const valueSets = rest.filter((r: any) => r.resourceType === 'ValueSet');
    expect(valueSets.map((v: any) => v.url)).toEqual(
      expect.arrayContaining([
        'http://example.org/fhir/pa-cds/ValueSet/ecog-performance-status',
        'http://example.org/fhir/pa-cds/ValueSet/multiple-myeloma',
      ]),
    );
    for (const v of valueSets) expect(v.expansion).toBeDefined();
  });

  it('gives every CQL expression its ELM (spec-96), in DTR\'s "Library".Definition form', async () => {
    const res = await post(
      params({ name: 'coverage', resource: coverage }, { name: 'order', resource: order() }),
    ).expect(200);
    const q = JSON.parse(res.text).parameter[0].resource.entry[0].resource;
    const expressions: any[] = [];
    const walk = (items: any[]) =>
      items.forEach((i) => {
        for (const e of i.extension ?? [])
          if (e.url.endsWith('sdc-questionnaire-initialExpression'))
            expressions.push(e.valueExpression);
        walk(i.item ?? []);
      });
    walk(q.item);
    expect(expressions.length).toBeGreaterThanOrEqual(4);
    for (const x of expressions) {
      expect(x.language).toBe('text/cql-identifier');
      expect(x.expression).toMatch(/^"ElrexfioPrepopulation"\."[^"]+"$/);
      const alt = x.extension.find((e: any) => e.url.endsWith('/alternativeExpression'));
      const elm = JSON.parse(alt.valueExpression.expression);
      expect(x.expression).toContain(`"${elm.name}"`);
    }
  });

  it('packages a questionnaire asked for by canonical, and warns about one it does not have (oper-9)', async () => {
    const res = await post(
      params(
        { name: 'coverage', resource: coverage },
        {
          name: 'questionnaire',
          valueCanonical: 'http://example.org/fhir/pa-cds/Questionnaire/CC-0126|2025-02-21',
        },
        {
          name: 'questionnaire',
          valueCanonical: 'https://inferno.health/Questionnaire/does-not-exist',
        },
      ),
    ).expect(200);
    const out = JSON.parse(res.text);
    expect(out.parameter.filter((p: any) => p.name === 'packagebundle')).toHaveLength(1);
    const outcome = out.parameter.find((p: any) => p.name === 'outcome').resource;
    expect(outcome.issue[0]).toMatchObject({ severity: 'warning' });
    expect(outcome.issue[0].diagnostics).toMatch(/does-not-exist/);
  });

  it('packages the version in force on the order date', async () => {
    const o: any = order();
    o.authoredOn = '2025-06-01';
    const res = await post(
      params({ name: 'coverage', resource: coverage }, { name: 'order', resource: o }),
    ).expect(200);
    expect(JSON.parse(res.text).parameter[0].resource.entry[0].resource.version).toBe('2024-11-15');
  });

  it.each([
    ['a body that is not Parameters', { resourceType: 'Bundle' }, /must be a FHIR Parameters/],
    [
      'no coverage',
      params({ name: 'order', resource: { resourceType: 'MedicationRequest' } }),
      /"coverage" is required/,
    ],
    [
      'neither order, questionnaire nor context',
      params({ name: 'coverage', resource: coverage }),
      /dtr-1/,
    ],
    [
      'a context alone (no assertions are kept)',
      params(
        { name: 'coverage', resource: coverage },
        { name: 'context', valueString: 'some-crd-context-id' },
      ),
      /context "some-crd-context-id" is not known here/,
    ],
    [
      'a questionnaire that is no canonical',
      params({ name: 'coverage', resource: coverage }, { name: 'questionnaire', valueString: 'x' }),
      /valueCanonical/,
    ],
  ])('answers 400 with an OperationOutcome for %s', async (_what, body, message) => {
    const res = await post(body).expect(400);
    expect(res.body.resourceType).toBe('OperationOutcome');
    expect(res.body.issue[0].diagnostics).toMatch(message);
  });
});

describe('the forms, Libraries and ValueSets as FHIR resources', () => {
  it('reads a Questionnaire by id and searches it by canonical', async () => {
    const one = await request(app).get('/fhir/Questionnaire/CC-0248-2025-11-14').expect(200);
    expect(JSON.parse(one.text).url).toBe('http://example.org/fhir/pa-cds/Questionnaire/CC-0248');
    const found = await request(app)
      .get('/fhir/Questionnaire')
      .query({ url: 'http://example.org/fhir/pa-cds/Questionnaire/CC-0248' })
      .expect(200);
    expect(
      JSON.parse(found.text)
        .entry.map((e: any) => e.resource.version)
        .sort(),
    ).toEqual(['2024-11-15', '2025-11-14']);
    const versioned = await request(app)
      .get('/fhir/Questionnaire')
      .query({ url: 'http://example.org/fhir/pa-cds/Questionnaire/CC-0248|2024-11-15' })
      .expect(200);
    expect(JSON.parse(versioned.text).total).toBe(1);
  });

  it('reads a Library and a ValueSet, and answers 404 for what it does not have', async () => {
    const lib = JSON.parse(
      (await request(app).get('/fhir/Library/BlincytoPrepopulation').expect(200)).text,
    );
    expect(lib.content).toHaveLength(2);
    await request(app)
      .get('/fhir/ValueSet')
      .query({ url: 'http://example.org/fhir/pa-cds/ValueSet/dlbcl' })
      .expect(200);
    const none = await request(app).get('/fhir/Library/Nope').expect(404);
    expect(none.text).toMatch(/no Library\/Nope/);
  });

  it('lists every form once per policy version', () => {
    expect(content().dtr.forms).toHaveLength(3);
    expect(NOW).toBeDefined();
  });
});
