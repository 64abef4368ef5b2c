import fhirpath from 'fhirpath';
import r4 from 'fhirpath/fhir-context/r4';
import request from 'supertest';
import { FileFeedbackStore } from '../../src/adapters/file/feedback-store';
import type { Evaluate } from '../../src/engine/evaluator';
import {
  clone,
  content,
  escapeRegExp,
  example,
  examplePolicy,
  NOW,
  scenario,
  testApp,
} from './helpers';

const ELREXFIO = example('myelomaMet');
const BLINCYTO = example('allMet');

describe('discovery', () => {
  const {
    app,
    content: { service },
  } = testApp();

  it('declares its CRD version and a configuration option per card type it returns, each with the four fields and a default (CRD dev-1, dev-4, dev-5, dev-8)', async () => {
    const res = await request(app).get('/cds-services').expect(200);
    const ext = res.body.services[0].extension;
    expect(ext['davinci-crd.version']).toEqual(['2.2', '2.0']);
    const options = ext['davinci-crd.configuration-options'];
    expect(options.map((o: any) => o.code)).toEqual(['coverage-info', 'max-cards']);
    for (const o of options) {
      expect(o).toEqual({
        code: expect.any(String),
        type: expect.stringMatching(/^(boolean|integer)$/),
        name: expect.any(String),
        description: expect.any(String),
        default: o.type === 'boolean' ? expect.any(Boolean) : expect.any(Number),
      });
    }
    for (const field of ['code', 'name', 'description'])
      expect(new Set(options.map((o: any) => o[field])).size).toBe(options.length);
  });

  it('lists the order-sign service covering both policies, with prefetch templates (and its order-select sibling)', async () => {
    const res = await request(app).get('/cds-services').expect(200).expect('Content-Type', /json/);
    expect(res.body.services.map((x: any) => x.hook)).toEqual([
      'order-sign',
      'order-select',
      'order-dispatch',
    ]);
    const s = res.body.services[0];
    expect(s).toMatchObject({ hook: 'order-sign', id: service.id, title: expect.any(String) });
    expect(s.description).toMatch(/Elrexfio/);
    expect(s.description).toMatch(/Blincyto/);
    expect(s.prefetch.patient).toBe('Patient/{{context.patientId}}');
    expect(s.prefetch.coverage).toBe('Coverage?patient={{context.patientId}}&status=active');
    // CRD 2.2 (found-27, found-28): only what every call needs is prefetched; the rest is
    // queried with the token when one of the drugs is ordered.
    expect(Object.keys(s.prefetch)).toEqual(['patient', 'coverage']);
    expect(s.usageRequirements).toMatch(/queried when one of the drugs is ordered/);
  });

  it('uses every query key sent as prefetch (keys discovery does not ask for too)', async () => {
    const body: any = clone(scenario(ELREXFIO).request);
    const sent = await request(app).post(`/cds-services/${service.id}`).send(body).expect(200);
    expect(sent.body.cards[0].extension['prior-auth-criteria'].outcome).toBe('criteria-met');
    for (const key of Object.keys(body.prefetch)) expect(service.prefetch[key]).toBeDefined();
    expect(service.prefetch.observations).toMatch(/code=http:\/\/loinc\.org\|89247-1/);
  });

  it('answers CORS preflight from a browser sandbox', async () => {
    const res = await request(app)
      .options(`/cds-services/${service.id}`)
      .set('Origin', 'https://sandbox.cds-hooks.org')
      .set('Access-Control-Request-Method', 'POST')
      .set('Access-Control-Request-Headers', 'authorization, content-type')
      .expect(204);
    expect(res.headers['access-control-allow-origin']).toBe('*');
    expect(res.headers['access-control-allow-headers']).toMatch(/Authorization/);
    expect(res.headers['access-control-allow-headers']).toMatch(/Content-Type/);
    expect(res.headers['access-control-allow-methods']).toMatch(/POST/);
  });
});

describe('order-sign cards', () => {
  // The failure test swaps in an evaluator that fails for one library; all others run as normal.
  let failing: string | undefined;
  const evaluate: Evaluate = async (program, input, expressions) => {
    if (program.name === failing) throw new Error(`library ${program.name} failed: boom`);
    return content().engine.evaluator.evaluate(program, input, expressions);
  };
  const { app, url, logs } = testApp({}, { evaluate });

  it('renders a card with summary, markdown detail, source, link and the machine-readable result', async () => {
    const s = scenario(ELREXFIO);
    const { id, document } = examplePolicy('myelomaMet').definition;
    const res = await request(app).post(url).send(s.request).expect(200);
    expect(res.body.cards).toHaveLength(1);
    const card = res.body.cards[0];
    expect(card.summary).toMatch(/Elrexfio/);
    expect(card.summary).toMatch(new RegExp(escapeRegExp(document.number)));
    expect(card.indicator).toBe('info');
    expect(card.uuid).toMatch(/^[0-9a-f-]{36}$/);
    expect(card.source.label).toMatch(
      new RegExp(`^${escapeRegExp(document.number)} Medical Drug Clinical Criteria: Elrexfio`),
    );
    expect(card.source.label).toMatch(/2025-12-22/);
    expect(card.source.topic).toMatchObject({ code: 'coverage-info' });
    expect(card.links[0]).toMatchObject({
      type: 'absolute',
      url: expect.stringMatching(new RegExp(`/policies/${escapeRegExp(id)}/versions/[0-9-]+$`)),
    });
    // The detail: the approving branch with what the record showed, in words (no raw ids).
    expect(card.detail).toMatch(/^\*\*Meets CC-0248\*\* through II, III, IV\./);
    expect(card.detail).toMatch(/- \*\*III\*\*: 4 prior lines: /);
    expect(card.detail).toMatch(/- \*\*IV\*\*: ECOG 1 on \d{4}-\d{2}-\d{2}\./);
    expect(card.detail).not.toMatch(/Observation\/|\*\*I\*\*/);
    expect(card.detail).toMatch(/REMS/);
    expect(card.detail.length).toBeLessThanOrEqual(700);
    expect(card.overrideReasons).toBeUndefined(); // an info card is not overridden
    expect(card.extension['prior-auth-criteria']).toEqual({
      policy: s.expected.policy,
      policyVersion: '2025-11-14',
      effectiveFrom: '2025-12-22',
      outcome: 'criteria-met',
      formula: 'I or (II and III and IV)',
      decidedBy: ['II', 'III', 'IV'],
      approvingBranch: ['II', 'III', 'IV'],
      notes: [expect.stringMatching(/only through a restricted program \(REMS\)/)],
      criteria: [
        {
          id: 'I',
          role: 'inclusion',
          status: 'not-met',
          text: 'Individual is under 19 years of age',
          detail: expect.stringMatching(/^Age \d+ years/),
          evidence: ['Patient/pt-1'],
        },
        {
          id: 'II',
          role: 'inclusion',
          status: 'met',
          text: expect.stringMatching(/relapsed or refractory multiple myeloma/),
          detail: expect.any(String),
          evidence: ['Condition/mm-1'],
        },
        {
          id: 'III',
          role: 'inclusion',
          status: 'met',
          text: expect.any(String),
          detail: expect.stringMatching(/^4 prior lines/),
          evidence: expect.arrayContaining(['MedicationRequest/l2-daratumumab']),
        },
        {
          id: 'IV',
          role: 'inclusion',
          status: 'met',
          text: expect.any(String),
          detail: expect.stringMatching(/^ECOG 1 on /),
          evidence: ['Observation/ecog-1'],
        },
      ],
    });
    expect(res.body.systemActions).toEqual([]);
  });

  it('says what to document next when documentation is needed', async () => {
    const s = scenario(example('myelomaStaleEcog'));
    const res = await request(app).post(url).send(s.request).expect(200);
    const card = res.body.cards[0];
    expect(card.indicator).toBe('warning');
    expect(card.extension['prior-auth-criteria'].outcome).toBe('documentation-needed');
    expect(card.summary).toBe('Elrexfio: document an ECOG from the last 30 days to meet CC-0248');
    // Da Vinci CRD Instructions: text only, no links, no suggestions; override reasons offered.
    expect(card.links).toBeUndefined();
    expect(card.suggestions).toBeUndefined();
    expect(card.source.url).toBeUndefined();
    expect(card.overrideReasons.length).toBeGreaterThan(0);
    expect(card.overrideReasons.every((r: any) => r.code && r.display)).toBe(true);
    expect(card.detail).toMatch(
      /- \*\*IV\*\*: Record an ECOG performance status \(LOINC 89247-1\) from the last 30 days/,
    );
    // What the record holds: the ECOG it found, too old to count.
    expect(card.detail).toMatch(/the latest is ECOG \d on \d{4}-\d{2}-\d{2} \(\d+ days ago\)/);
    // Nothing that cannot change the outcome: not the birth date of an adult, not what is met.
    expect(card.detail).not.toMatch(/\*\*(I|II|III)\*\*/);
    expect(card.extension['prior-auth-criteria']).toMatchObject({
      missingSets: [['IV']],
      decidedBy: ['IV'],
      toDocument: { IV: expect.stringMatching(/ECOG/) },
    });
    expect(card.extension['prior-auth-criteria'].toDocument).toEqual({
      IV: expect.any(String),
    });
  });

  it('gives each draft order its own card and ignores orders for other drugs', async () => {
    const e = scenario(ELREXFIO).request;
    const b = scenario(BLINCYTO).request;
    const body = clone(e);
    const blincytoOrder = b.context.draftOrders.entry![0]!.resource;
    const otherDrug = {
      resourceType: 'MedicationRequest',
      id: 'draft-aspirin',
      status: 'draft',
      intent: 'order',
      subject: { reference: 'Patient/pt-1' },
      medicationCodeableConcept: {
        coding: [{ system: 'http://www.nlm.nih.gov/research/umls/rxnorm', code: '1191' }],
        text: 'aspirin',
      },
    };
    body.context.draftOrders.entry!.push(
      { resource: blincytoOrder! },
      { resource: otherDrug as never },
    );
    body.prefetch = { ...b.prefetch, ...e.prefetch };
    const res = await request(app).post(url).send(body).expect(200);
    const policies = res.body.cards
      .map((c: any) => c.extension['prior-auth-criteria'].policy)
      .sort();
    const expected = [
      scenario(BLINCYTO).expected.policy,
      scenario(ELREXFIO).expected.policy,
    ].sort();
    expect(new Set(expected).size).toBe(2);
    expect(policies).toEqual(expected);
  });

  it('returns no cards and gathers no data when no draft order is for a policy drug', async () => {
    const body = clone(scenario(ELREXFIO).request);
    body.context.draftOrders.entry![0]!.resource = {
      resourceType: 'MedicationRequest',
      id: 'x',
      status: 'draft',
      intent: 'order',
      subject: { reference: 'Patient/pt-1' },
      medicationCodeableConcept: { text: 'metformin 500 mg' },
    } as never;
    body.prefetch = {};
    const res = await request(app).post(url).send(body).expect(200);
    expect(res.body).toEqual({ cards: [], systemActions: [] });
  });

  it('names the drug by its short name in the summary, whatever the order calls it (CDS Hooks: under 140)', async () => {
    const body = clone(scenario(ELREXFIO).request);
    (body.context.draftOrders.entry![0]!.resource as any).medicationCodeableConcept.text =
      `Elrexfio ${'x'.repeat(300)}`;
    const res = await request(app).post(url).send(body).expect(200);
    expect(res.body.cards[0].summary).toBe(
      'Elrexfio: meets CC-0248 (II, III, IV) — request prior auth with this evidence',
    );
  });

  it('escapes record text placed in the markdown detail: no link, no HTML, no emphasis', async () => {
    const EVIL = '[x](https://evil) <img src=x onerror=alert(1)> **bold**\r- injected item';
    const ESCAPED =
      '\\[x\\](https\u2060://evil) \\<img src=x onerror=alert(1)\\> \\*\\*bold\\*\\* - injected item';
    const expectEscaped = (detail: string) => {
      expect(detail).toContain(ESCAPED);
      expect(detail).not.toContain('[x](https://evil)');
      expect(detail).not.toMatch(/(?<!\\)<img/);
      expect(detail).not.toContain('**bold**');
      expect(detail).not.toMatch(/\r/);
    };
    // A drug's text on a record, quoted in the criterion that approves (II.B: the TKI given with it).
    const body: any = clone(scenario('CC-0126/met-active-tki-order.json').request);
    const tki = body.prefetch.medicationRequests.entry.find(
      (e: any) => e.resource.id === 'ima-1',
    ).resource;
    tki.medicationCodeableConcept.text = `imatinib ${EVIL}`;
    // In remission (C91.01): not relapsed or refractory, so the TKI branch is the one that approves.
    const all = body.prefetch.conditions.entry[0].resource;
    all.code.coding[0].code = 'C91.01';
    all.clinicalStatus.coding[0].code = 'remission';
    const res = await request(app).post(url).send(body).expect(200);
    expect(res.body.cards[0].extension['prior-auth-criteria'].approvingBranch).toContain('II.B');
    expectEscaped(res.body.cards[0].detail);
  });

  it('says in the card when the drug was recognised by name only', async () => {
    const body = clone(scenario(ELREXFIO).request);
    (body.context.draftOrders.entry![0]!.resource as any).medicationCodeableConcept = {
      text: 'elranatamab-bcmm 76 mg SC',
    };
    const res = await request(app).post(url).send(body).expect(200);
    expect(res.body.cards[0].detail).toMatch(/recognised by the drug name only/);
    expect(res.body.cards[0].summary).toMatch(/^Elrexfio: /);
  });

  it('isolates a policy that fails: that order gets a warning card, the others their cards', async () => {
    const e = scenario(ELREXFIO).request;
    const b = scenario(BLINCYTO).request;
    const body = clone(e);
    body.context.draftOrders.entry!.push({ resource: b.context.draftOrders.entry![0]!.resource! });
    body.prefetch = { ...b.prefetch, ...e.prefetch };
    const fails = examplePolicy('allMet').definition;
    const works = examplePolicy('myelomaMet').definition;
    expect(fails.id).not.toBe(works.id);
    failing = content().policies.find((p) => p.definition.id === fails.id)!.program.name;
    try {
      const res = await request(app).post(url).send(body).expect(200);
      const byPolicy = Object.fromEntries(
        res.body.cards.map((c: any) => [c.extension['prior-auth-criteria'].policy, c]),
      );
      expect(byPolicy[works.id].extension['prior-auth-criteria'].outcome).toBe('criteria-met');
      const failed = byPolicy[fails.id];
      expect(failed.indicator).toBe('warning');
      expect(failed.summary).toMatch(/could not be completed/);
      expect(failed.extension['prior-auth-criteria'].outcome).toBe('error');
      expect(failed.extension['prior-auth-criteria'].criteria.map((c: any) => c.id)).toEqual(
        fails.criteria,
      );
      expect(JSON.stringify(res.body)).not.toMatch(/boom/);
      expect(logs.some((l) => /policy-evaluation-failed/.test(l) && /boom/.test(l))).toBe(true);
    } finally {
      failing = undefined;
    }
  });
});

describe('Da Vinci CRD coverage information', () => {
  const { app, url } = testApp();
  const coverage = {
    resourceType: 'Coverage',
    id: 'cov-1',
    status: 'active',
    beneficiary: { reference: 'Patient/pt-1' },
    payor: [{ display: 'Example Health Plan' }],
  };
  // The extension's invariants as published in CRD 2.0.1 (crd-ci-q1..q5).
  const INVARIANTS = [
    "extension.where(url='questionnaire' or url='response').exists() implies (extension.where(url = 'doc-needed').exists() and extension.where(url = 'doc-needed').all(value != 'no-doc'))",
    "extension.where(url = 'covered' and value != 'not-covered') implies extension.where(url = 'pa-needed').exists()",
    "extension.where(url = 'info-needed').exists() implies extension.where((url = 'covered' or url = 'pa-needed' or url = 'doc-needed') and value = 'conditional').count() >= 1",
    "extension.where(url = 'pa-needed' and value = 'satisfied') and extension.where(url = 'doc-purpose').exists() implies extension.where(url = 'doc-purpose').all(value != 'PA')",
    "extension.where(url = 'pa-needed' and value = 'satisfied').exists() = extension.where(url = 'satisfied-pa-id').exists()",
  ];

  /** Invariants that evaluate to false (an empty result, as for "{} implies x", is not a failure). */
  function violations(ext: unknown): string[] {
    return INVARIANTS.filter((inv) => {
      const out = fhirpath.evaluate(
        ext,
        { base: 'Extension', expression: inv },
        undefined,
        r4 as never,
      ) as unknown[];
      return out.length === 1 && out[0] === false;
    });
  }

  function withCoverage(file: string) {
    const body = clone(scenario(file).request);
    body.prefetch = {
      ...body.prefetch,
      coverage: { resourceType: 'Bundle', type: 'searchset', entry: [{ resource: coverage }] },
    };
    return body;
  }

  it.each([
    [
      ELREXFIO,
      'criteria-met',
      {
        covered: 'covered',
        'pa-needed': 'auth-needed',
        'doc-needed': 'clinical',
        'doc-purpose': 'withpa',
      },
    ],
    [
      example('myelomaStaleEcog'),
      'documentation-needed',
      // Never "covered" on a record that has not shown the criteria: coverage depends on them.
      { covered: 'conditional', 'pa-needed': 'auth-needed', 'doc-needed': 'clinical' },
    ],
    [example('myelomaNotMet'), 'criteria-not-met', { covered: 'not-covered' }],
  ])(
    'annotates the draft order for %s (%s) with a valid coverage-information extension',
    async (file, _outcome, expected) => {
      const body = withCoverage(file);
      const draft = body.context.draftOrders.entry![0]!.resource as any;
      const res = await request(app).post(url).send(body).expect(200);
      expect(res.body.systemActions).toHaveLength(1);
      const action = res.body.systemActions[0];
      expect(action.type).toBe('update');
      expect(action.resource.id).toBe(draft.id);
      expect(action.resource.medicationCodeableConcept).toEqual(draft.medicationCodeableConcept);
      const ext = action.resource.extension.find(
        (x: any) =>
          x.url ===
          'http://hl7.org/fhir/us/davinci-crd/StructureDefinition/ext-coverage-information',
      );
      const value = (u: string) => ext.extension.find((x: any) => x.url === u);
      expect(value('coverage').valueReference.reference).toBe('Coverage/cov-1');
      expect(value('date').valueDate).toBe(NOW.toISOString().slice(0, 10));
      expect(value('coverage-assertion-id').valueString).toMatch(/\S/);
      for (const [k, v] of Object.entries(expected)) expect(value(k).valueCode).toBe(v);
      if (expected.covered === 'not-covered') expect(value('pa-needed')).toBeUndefined();
      expect(violations(ext)).toEqual([]);
    },
  );

  const CI_URL = 'http://hl7.org/fhir/us/davinci-crd/StructureDefinition/ext-coverage-information';
  /** The coverage-information extensions of the response's system actions. */
  const annotations = (res: request.Response): any[] =>
    res.body.systemActions.flatMap((a: any) =>
      (a.resource.extension ?? []).filter((x: any) => x.url === CI_URL),
    );

  const assertionIds = (res: request.Response): string[] =>
    res.body.systemActions.flatMap((a: any) =>
      a.resource.extension
        .filter((x: any) => x.url.endsWith('/ext-coverage-information'))
        .map(
          (x: any) => x.extension.find((e: any) => e.url === 'coverage-assertion-id').valueString,
        ),
    );

  it('gives the same coverage-assertion-id when the same call is repeated, and another when the decision changes', async () => {
    const body = withCoverage(ELREXFIO);
    const first = assertionIds(await request(app).post(url).send(body).expect(200));
    const again = assertionIds(await request(app).post(url).send(body).expect(200));
    expect(first).toHaveLength(1);
    expect(first[0]).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
    expect(again).toEqual(first);
    const stale = assertionIds(
      await request(app)
        .post(url)
        .send(withCoverage(example('myelomaStaleEcog')))
        .expect(200),
    );
    expect(stale[0]).not.toBe(first[0]);
  });

  it('gives one coverage-assertion-id to every repetition on the same order and coverage (one order, two policies)', async () => {
    // One draft order coded as both drugs (an order a payer's rules could match twice).
    const body: any = withCoverage(ELREXFIO);
    const blincyto: any = scenario(BLINCYTO).request;
    const order = body.context.draftOrders.entry[0].resource;
    order.medicationCodeableConcept.coding.push(
      ...blincyto.context.draftOrders.entry[0].resource.medicationCodeableConcept.coding,
    );
    body.prefetch = { ...blincyto.prefetch, ...body.prefetch };
    const res = await request(app).post(url).send(body).expect(200);
    expect(res.body.systemActions).toHaveLength(1);
    const ids = assertionIds(res);
    expect(ids).toHaveLength(2);
    expect(new Set(ids).size).toBe(1);
  });

  describe("with the payer's real-time determination switch on (REALTIME_DETERMINATION)", () => {
    const { app: payer, url: payerUrl } = testApp({ realtimeDetermination: true });
    const annotation = async (file: string) => {
      const res = await request(payer).post(payerUrl).send(withCoverage(file)).expect(200);
      const ext = res.body.systemActions[0].resource.extension.find((x: any) =>
        x.url.endsWith('/ext-coverage-information'),
      );
      const value = (u: string) => ext.extension.find((x: any) => x.url === u);
      return { ext, value };
    };

    it('annotates a criteria-met order pa-needed satisfied with a satisfied-pa-id, the same again for the same assertion', async () => {
      const first = await annotation(ELREXFIO);
      expect(first.value('covered').valueCode).toBe('covered');
      expect(first.value('pa-needed').valueCode).toBe('satisfied');
      expect(first.value('doc-needed')).toBeUndefined();
      expect(first.value('satisfied-pa-id').valueString).toMatch(/^PA-/);
      expect(violations(first.ext)).toEqual([]);
      const again = await annotation(ELREXFIO);
      expect(again.value('satisfied-pa-id').valueString).toBe(
        first.value('satisfied-pa-id').valueString,
      );
    });

    it('never satisfies PA when a criterion is undocumented or not met', async () => {
      for (const file of [example('myelomaStaleEcog'), example('myelomaNotMet')]) {
        const { ext, value } = await annotation(file);
        expect(value('pa-needed')?.valueCode).not.toBe('satisfied');
        expect(value('satisfied-pa-id')).toBeUndefined();
        expect(violations(ext)).toEqual([]);
      }
    });
  });

  it("checks the invariants for real: the service's own annotation passes them, and each broken copy fails the one it breaks", async () => {
    const res = await request(app).post(url).send(withCoverage(ELREXFIO)).expect(200);
    const [ext] = annotations(res);
    expect(ext.extension.map((x: any) => x.url)).toEqual(
      expect.arrayContaining(['coverage', 'covered', 'pa-needed', 'doc-needed', 'doc-purpose']),
    );
    expect(violations(ext)).toEqual([]);
    /** The real annotation with sub-extensions replaced (`null` removes) and added. */
    const changed = (replace: Record<string, unknown>, added: unknown[] = []) => ({
      ...ext,
      extension: [
        ...ext.extension.flatMap((x: any) =>
          x.url in replace ? (replace[x.url] === null ? [] : [replace[x.url]]) : [x],
        ),
        ...added,
      ],
    });
    const code = (u: string, valueCode: string) => ({ url: u, valueCode });
    const broken: [number, unknown][] = [
      [
        0,
        changed({ 'doc-needed': code('doc-needed', 'no-doc') }, [
          { url: 'questionnaire', valueCanonical: 'http://example.org/Questionnaire/q' },
        ]),
      ],
      [1, changed({ 'pa-needed': null })],
      [2, changed({}, [code('info-needed', 'performer')])],
      [
        3,
        changed(
          { 'pa-needed': code('pa-needed', 'satisfied'), 'doc-purpose': code('doc-purpose', 'PA') },
          [{ url: 'satisfied-pa-id', valueString: 'pa-1' }],
        ),
      ],
      [4, changed({}, [{ url: 'satisfied-pa-id', valueString: 'pa-1' }])],
    ];
    for (const [q, annotation] of broken) expect(violations(annotation)).toEqual([INVARIANTS[q]]);
  });

  /** The scenario with a prefetch coverage searchset of these Coverages. */
  function withCoverages(file: string, coverages: unknown[]) {
    const body = clone(scenario(file).request);
    body.prefetch = {
      ...body.prefetch,
      coverage: {
        resourceType: 'Bundle',
        type: 'searchset',
        entry: coverages.map((resource) => ({ resource })),
      },
    };
    return body;
  }
  const cancelled = { ...coverage, id: 'cov-cancelled', status: 'cancelled' };

  it.each([
    ['cancelled, then active', [cancelled, coverage]],
    ['active, then cancelled', [coverage, cancelled]],
  ])(
    'annotates with the active Coverage, never a cancelled one (%s)',
    async (_order, coverages) => {
      const res = await request(app).post(url).send(withCoverages(ELREXFIO, coverages)).expect(200);
      const found = annotations(res);
      expect(found).toHaveLength(1);
      const refs = found[0].extension
        .filter((x: any) => x.url === 'coverage')
        .map((x: any) => x.valueReference.reference);
      expect(refs).toEqual(['Coverage/cov-1']);
      expect(JSON.stringify(res.body.systemActions)).not.toContain('cov-cancelled');
    },
  );

  it.each(['cancelled', 'draft', 'entered-in-error'])(
    'makes no annotation when the only Coverage is %s (the cards stay)',
    async (status) => {
      const only = { ...coverage, id: `cov-${status}`, status };
      const res = await request(app)
        .post(url)
        .send(withCoverages(ELREXFIO, [only]))
        .expect(200);
      expect(res.body.systemActions).toEqual([]);
      expect(res.body.cards).toHaveLength(1);
      expect(res.body.cards[0].extension['prior-auth-criteria'].outcome).toBe('criteria-met');
    },
  );

  it('answers a request for the CRD version it declares, and 422 with an OperationOutcome for another (400 for a value that is no version)', async () => {
    const body: any = withCoverage(ELREXFIO);
    body.extension = { 'davinci-crd.requestedVersion': '2.0' };
    const ok = await request(app).post(url).send(body).expect(200);
    expect(ok.body.systemActions).toHaveLength(1);
    body.extension = { 'davinci-crd.requestedVersion': '2.2' };
    await request(app).post(url).send(body).expect(200);
    body.extension = { 'davinci-crd.requestedVersion': '2.1' };
    const other = await request(app).post(url).send(body).expect(422);
    expect(other.body.resourceType).toBe('OperationOutcome');
    expect(other.body.issue[0].diagnostics).toMatch(
      /CRD version 2\.1 is not supported here; this service speaks 2\.2, 2\.0/,
    );
    for (const bad of [2.2, '2', 'latest', null]) {
      body.extension = { 'davinci-crd.requestedVersion': bad };
      const res = await request(app).post(url).send(body).expect(400);
      expect(res.body.issue[0].diagnostics).toMatch(/requestedVersion/);
    }
  });

  it('leaves the annotation out when the older coverage option turns it off (the cards stay)', async () => {
    const body: any = withCoverage(ELREXFIO);
    body.extension = { 'davinci-crd.configuration': { coverage: false } };
    const res = await request(app).post(url).send(body).expect(200);
    expect(res.body.systemActions).toEqual([]);
    expect(res.body.cards).toHaveLength(1);
  });

  it('returns no card of type coverage-info, and no annotation, when coverage-info is false (CRD dev-5)', async () => {
    const body: any = withCoverage(ELREXFIO);
    body.extension = { 'davinci-crd.configuration': { 'coverage-info': false } };
    const res = await request(app).post(url).send(body).expect(200);
    expect(res.body).toEqual({ cards: [], systemActions: [] });
  });

  it('keeps at most max-cards cards, the most severe first', async () => {
    // Two orders: Elrexfio met (info) and Blincyto for DLBCL (warning).
    const body: any = withCoverage(ELREXFIO);
    const dlbcl: any = scenario(example('allNotMetDlbcl')).request;
    body.context.draftOrders.entry.push(dlbcl.context.draftOrders.entry[0]);
    body.prefetch = { ...dlbcl.prefetch, ...body.prefetch };
    expect(dlbcl.context.patientId).toBe(body.context.patientId);
    const both = await request(app).post(url).send(body).expect(200);
    expect(both.body.cards.map((c: any) => c.indicator).sort()).toEqual(['info', 'warning']);
    body.extension = { 'davinci-crd.configuration': { 'max-cards': 1 } };
    const one = await request(app).post(url).send(body).expect(200);
    expect(one.body.cards.map((c: any) => c.indicator)).toEqual(['warning']);
    body.extension = { 'davinci-crd.configuration': { 'max-cards': 0 } };
    expect((await request(app).post(url).send(body).expect(200)).body.cards).toEqual([]);
  });

  it.each([
    [{ 'coverage-info': 'no' }],
    [{ 'max-cards': -1 }],
    [{ 'max-cards': 1.5 }],
    [{ 'max-cards': '3' }],
    [{ 'coverage-info': null, unknownOption: true }],
    ['not an object'],
  ])(
    'answers as without configuration when the options make no sense: %j (CRD dev-6, dev-15, dev-17)',
    async (config) => {
      const body: any = withCoverage(ELREXFIO);
      body.extension = { 'davinci-crd.configuration': config };
      const res = await request(app).post(url).send(body).expect(200);
      expect(res.body.cards).toHaveLength(1);
      expect(res.body.systemActions).toHaveLength(1);
    },
  );
});

describe('feedback', () => {
  const { app, url, feedbackFile } = testApp();

  it('stores valid feedback where a restart finds it', async () => {
    const body = {
      feedback: [
        {
          card: '9368d37b-283f-44a0-93ea-547cebab93ed',
          outcome: 'overridden',
          overrideReason: {
            reason: {
              code: 'patient-documented',
              system: 'http://example.org/reasons',
              display: 'Documented elsewhere',
            },
            userComment: 'ECOG in paper chart',
          },
          outcomeTimestamp: '2026-06-15T12:01:00Z',
        },
        {
          card: 'c4e5e1bb-7f2d-4b8a-9d0e-1d8c9c1d2e3f',
          outcome: 'accepted',
          outcomeTimestamp: '2026-06-15T12:02:00Z',
        },
      ],
    };
    await request(app).post(`${url}/feedback`).send(body).expect(200);
    const stored = await new FileFeedbackStore(feedbackFile).readAll();
    expect(stored).toHaveLength(2);
    expect(stored[0]).toMatchObject({
      card: '9368d37b-283f-44a0-93ea-547cebab93ed',
      outcome: 'overridden',
      overrideReason: { userComment: 'ECOG in paper chart' },
    });
    expect(stored[1]).toMatchObject({ outcome: 'accepted', receivedAt: NOW.toISOString() });
  });

  it.each([
    [{}, /feedback must be a non-empty array/],
    [{ feedback: [] }, /non-empty array/],
    [
      { feedback: [{ card: 'x', outcome: 'maybe', outcomeTimestamp: '2026-06-15T12:00:00Z' }] },
      /outcome must be "accepted" or "overridden"/,
    ],
    [{ feedback: [{ card: 'x', outcome: 'accepted' }] }, /outcomeTimestamp/],
    [{ feedback: [{ outcome: 'accepted', outcomeTimestamp: '2026-06-15T12:00:00Z' }] }, /card/],
    [
      {
        feedback: [
          {
            card: 'x',
            outcome: 'accepted',
            outcomeTimestamp: '2026-06-15T12:00:00Z',
            overrideReason: { userComment: 'no' },
          },
        ],
      },
      /overrideReason is only for an overridden card/,
    ],
  ])('rejects %j with 400', async (body, message) => {
    const res = await request(app).post(`${url}/feedback`).send(body).expect(400);
    expect(res.body.issue[0].diagnostics).toMatch(message);
  });
});
