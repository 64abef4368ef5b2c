import request from 'supertest';
import { coveragePrefetch } from '../support';
import { allScenarioFiles, clone, content, example, NOW, scenario, testApp } from './helpers';

/**
 * DTR closes the loop: a documentation-needed order's form opens pre-filled from the record (the
 * same CQL), the clinician completes what is missing, and the completed form sent with the next
 * hook call is read as documentation (the same data rules), cited as its QuestionnaireResponse.
 */
const { app, url } = testApp();
const ORIGIN = 'http://hl7.org/fhir/us/davinci-dtr/StructureDefinition/information-origin';
const ICD = 'http://hl7.org/fhir/sid/icd-10-cm';
const RX = 'http://www.nlm.nih.gov/research/umls/rxnorm';

const day = (offsetDays: number) =>
  new Date(NOW.getTime() + offsetDays * 24 * 3600 * 1000).toISOString().slice(0, 10);

type Answer = Record<string, unknown>;
type Item = { linkId: string; answer?: Answer[]; item?: Item[] };
const answer = (linkId: string, value: Answer): Item => ({ linkId, answer: [value] });
const group = (linkId: string, ...item: Item[]): Item => ({ linkId, item });

/** CC-0126's ALL diagnosis group: its ICD-10-CM status, dated `offset` days from now. */
const allDiagnosis = (code: string, offset: number): Item =>
  group(
    'I.diagnosis',
    answer('I.status', { valueCoding: { system: ICD, code } }),
    answer('I.status-date', { valueDate: day(offset) }),
  );

/** The answers that document each criterion in favour of approval (what the clinician enters). */
const DOCUMENTS: Record<string, Record<string, () => Item[]>> = {
  'CC-0248': {
    II: () => [
      group(
        'II',
        answer('II.status', { valueCoding: { system: ICD, code: 'C90.02' } }),
        answer('II.date', { valueDate: day(-60) }),
      ),
    ],
    III: () => [
      {
        linkId: 'III',
        item: (
          [
            // Ten to seven years ago: lines of their own, before any on record.
            ['1721947', -10 * 365],
            ['358258', -9 * 365],
            ['342369', -8 * 365],
            ['1302966', -7 * 365],
          ] as const
        ).map(([code, offset]) =>
          group(
            'III.line',
            answer('III.line.agent', { valueCoding: { system: RX, code } }),
            answer('III.line.start', { valueDate: day(offset) }),
          ),
        ),
      },
    ],
    IV: () => [
      group(
        'IV',
        answer('IV.score', { valueCoding: { system: 'http://loinc.org', code: 'LA9623-5' } }),
        answer('IV.date', { valueDate: day(0) }),
      ),
    ],
  },
  'CC-0126': {
    I: () => [
      group(
        'I',
        allDiagnosis('C91.02', -60),
        group(
          'I.cd19-result',
          answer('I.cd19', { valueString: 'Positive' }),
          answer('I.cd19-date', { valueDate: day(0) }),
        ),
      ),
    ],
    'II.B': () => [
      group(
        'II.B',
        answer('II.B.agent', { valueCoding: { system: RX, code: '475342' } }),
        answer('II.B.start', { valueDate: day(0) }),
      ),
    ],
    'II.C': () => [
      group('I', allDiagnosis('C91.01', -30)),
      group(
        'II.C',
        answer('II.C.percent', { valueDecimal: 0.5 }),
        answer('II.C.date', { valueDate: day(-5) }),
      ),
    ],
  },
};
DOCUMENTS['CC-0126']!.III = DOCUMENTS['CC-0126']!.I!;
DOCUMENTS['CC-0126']!['II.A'] = () => [group('I', allDiagnosis('C91.02', -60))];

/** Items merged by linkId (two criteria may answer parts of one group). */
function merge(items: Item[]): Item[] {
  const out: Item[] = [];
  for (const i of items) {
    const same = out.find((o) => o.linkId === i.linkId && o.item && i.item && !i.answer);
    if (same && i.linkId !== 'III') same.item = merge([...(same.item ?? []), ...(i.item ?? [])]);
    else out.push(clone(i));
  }
  return out;
}

function completed(formUrl: string, items: Item[], patientId: string, id = 'qr-1') {
  return {
    resourceType: 'QuestionnaireResponse',
    id,
    questionnaire: formUrl,
    status: 'completed',
    subject: { reference: `Patient/${patientId}` },
    authored: NOW.toISOString(),
    item: items,
  };
}

async function populate(body: object) {
  const res = await request(app).post('/dtr/populate').send(body).expect(200);
  expect(res.headers['content-type']).toMatch(/application\/fhir\+json/);
  return JSON.parse(res.text).entry.map((e: any) => e.resource);
}

/** A hook call with the form sent back in prefetch (as an EHR stores it after DTR). */
async function sign(body: any, qr: unknown) {
  const again = clone(body);
  again.prefetch.questionnaireResponses = {
    resourceType: 'Bundle',
    type: 'searchset',
    entry: [{ resource: qr }],
  };
  again.prefetch.coverage = coveragePrefetch(body.context.patientId);
  return request(app).post(url).send(again);
}

const documentationNeeded = allScenarioFiles().filter(
  (f) => scenario(f).expected.outcome === 'documentation-needed',
);

describe.each(documentationNeeded)('%s', (file) => {
  it('opens the form pre-filled from the record, and the completed form gives the new outcome', async () => {
    const s = scenario(file);
    const body: any = clone(s.request);
    const policy = s.expected.policy;
    const first = await request(app).post(url).send(body).expect(200);
    const card = first.body.cards.find(
      (c: any) => c.extension['prior-auth-criteria'].policy === policy,
    );
    const missingSets: string[][] = card.extension['prior-auth-criteria'].missingSets;
    const [form] = (await populate(body)).filter((qr: any) =>
      qr.questionnaire.includes(`/${policy}|`),
    );
    expect(form).toMatchObject({ resourceType: 'QuestionnaireResponse', status: 'in-progress' });
    // Every pre-filled answer is marked as the payer's, and the form as filled adds nothing.
    const walk = (items: any[]): any[] =>
      items.flatMap((i) => [...(i.answer ?? []), ...walk(i.item ?? [])]);
    for (const a of walk(form.item))
      expect(a.extension).toEqual([
        { url: ORIGIN, extension: [{ url: 'source', valueCode: 'auto-server' }] },
      ]);
    const untouched = await sign(body, { ...form, id: 'qr-untouched', status: 'completed' });
    expect(untouched.status).toBe(200);
    expect(
      untouched.body.cards.find((c: any) => c.extension['prior-auth-criteria'].policy === policy)
        .extension['prior-auth-criteria'].outcome,
    ).toBe('documentation-needed');
    // The first missing set the form can document, documented in favour.
    const documents = DOCUMENTS[policy]!;
    const set = missingSets.find((ids) => ids.every((id) => documents[id]));
    const items = merge((set ?? []).flatMap((id) => documents[id]!()));
    const res = await sign(body, completed(form.questionnaire, items, body.context.patientId));
    expect(res.status).toBe(200);
    const after = res.body.cards.find(
      (c: any) => c.extension['prior-auth-criteria'].policy === policy,
    ).extension['prior-auth-criteria'];
    expect(after.outcome).toBe(set ? 'criteria-met' : 'documentation-needed');
    // What the form documented is cited as the QuestionnaireResponse.
    for (const id of set ?? [])
      expect(after.criteria.find((c: any) => c.id === id).evidence).toContain(
        'QuestionnaireResponse/qr-1',
      );
  });
});

describe('the pre-filled form', () => {
  it('shows the stale ECOG and its date, the myeloma status and the lines on record', async () => {
    const [qr] = await populate(clone(scenario(example('myelomaStaleEcog')).request));
    const find = (id: string, items: any[] = qr.item): any =>
      items.flatMap((i) => (i.linkId === id ? [i] : [find(id, i.item ?? [])].filter(Boolean)))[0];
    expect(find('IV.score').answer[0].valueCoding.code).toBe('LA9622-7');
    expect(find('IV.date').answer[0].valueDate < day(-30)).toBe(true);
    expect(find('II.status').answer[0].valueCoding.code).toBe('C90.02');
    expect(find('III.on-record').answer[0].valueString).toMatch(/^4: bortezomib \+ lenalidomide/);
    expect(find('III.line')).toBeUndefined();
    expect(qr.questionnaire).toBe(
      'http://example.org/fhir/pa-cds/Questionnaire/CC-0248|2025-11-14',
    );
    expect(qr.subject).toEqual({ reference: 'Patient/pt-1' });
  });
});

describe('answers are read by the same data rules', () => {
  const stale = (): any => clone(scenario(example('myelomaStaleEcog')).request);
  const form = 'http://example.org/fhir/pa-cds/Questionnaire/CC-0248|2025-11-14';
  const ecog = (date: string, code = 'LA9623-5') => [
    group(
      'IV',
      answer('IV.score', { valueCoding: { system: 'http://loinc.org', code } }),
      answer('IV.date', { valueDate: date }),
    ),
  ];
  const outcome = (res: request.Response) =>
    res.body.cards[0].extension['prior-auth-criteria'].outcome;

  it('an ECOG answered as 31 days old does not count; 30 days old does', async () => {
    const body = stale();
    expect(outcome(await sign(body, completed(form, ecog(day(-31)), 'pt-1')))).toBe(
      'documentation-needed',
    );
    expect(outcome(await sign(body, completed(form, ecog(day(-30)), 'pt-1')))).toBe('criteria-met');
  });

  it('an ECOG of 3 answered today is not met', async () => {
    const res = await sign(stale(), completed(form, ecog(day(0), 'LA9625-0'), 'pt-1'));
    expect(outcome(res)).toBe('criteria-not-met');
    const iv = res.body.cards[0].extension['prior-auth-criteria'].criteria.find(
      (c: any) => c.id === 'IV',
    );
    expect(iv.evidence).toEqual(['QuestionnaireResponse/qr-1']);
  });

  it("a draft (in-progress) form, or another patient's form of another questionnaire, is not documentation", async () => {
    const draft = { ...completed(form, ecog(day(0)), 'pt-1'), status: 'in-progress' };
    expect(outcome(await sign(stale(), draft))).toBe('documentation-needed');
    const other = completed('http://example.org/other|1', ecog(day(0)), 'pt-1');
    expect(outcome(await sign(stale(), other))).toBe('documentation-needed');
  });

  it('a form sent in the draft orders Bundle counts too', async () => {
    const body = stale();
    body.context.draftOrders.entry.push({ resource: completed(form, ecog(day(0)), 'pt-1') });
    body.prefetch.coverage = coveragePrefetch('pt-1');
    expect(outcome(await request(app).post(url).send(body).expect(200))).toBe('criteria-met');
  });
});

describe('invalid answers are refused with the item named', () => {
  const form = 'http://example.org/fhir/pa-cds/Questionnaire/CC-0248|2025-11-14';
  it.each([
    [
      'an option the item does not offer',
      [
        group(
          'IV',
          answer('IV.score', { valueCoding: { system: 'http://loinc.org', code: 'LA0000-0' } }),
          answer('IV.date', { valueDate: day(0) }),
        ),
      ],
      /item "IV.score": .* is not one of the item's options/,
    ],
    [
      'a date in the future',
      [
        group(
          'IV',
          answer('IV.score', { valueCoding: { system: 'http://loinc.org', code: 'LA9623-5' } }),
          answer('IV.date', { valueDate: day(3) }),
        ),
      ],
      /item "IV.date": .* is in the future/,
    ],
    [
      'a date that is no date',
      [
        group(
          'IV',
          answer('IV.score', { valueCoding: { system: 'http://loinc.org', code: 'LA9623-5' } }),
          answer('IV.date', { valueDate: '2026-02-30' }),
        ),
      ],
      /item "IV.date": must be a valueDate YYYY-MM-DD/,
    ],
    [
      'an answer of the wrong type',
      [
        group(
          'IV',
          answer('IV.score', { valueString: '1' }),
          answer('IV.date', { valueDate: day(0) }),
        ),
      ],
      /item "IV.score": "1" is not one of the item's options/,
    ],
    [
      'a score without its date',
      [
        group(
          'IV',
          answer('IV.score', { valueCoding: { system: 'http://loinc.org', code: 'LA9623-5' } }),
        ),
      ],
      /item "IV.date" is required with the rest of "IV"/,
    ],
    [
      'an item the form does not have',
      [group('IV', answer('IV.mood', { valueString: 'good' }))],
      /item "IV.mood" is not in http:\/\/example.org\/fhir\/pa-cds\/Questionnaire\/CC-0248\|2025-11-14/,
    ],
    [
      'two answers to one item',
      [group('IV', { linkId: 'IV.date', answer: [{ valueDate: day(0) }, { valueDate: day(-1) }] })],
      /item "IV.date" has 2 answers; it takes one/,
    ],
  ])('%s', async (_what, items, message) => {
    const res = await sign(
      clone(scenario(example('myelomaStaleEcog')).request),
      completed(form, items as Item[], 'pt-1'),
    );
    expect(res.status).toBe(400);
    expect(res.body.resourceType).toBe('OperationOutcome');
    expect(res.body.issue[0].diagnostics).toMatch(message);
  });

  it('a form about another patient, or without an id', async () => {
    const body = clone(scenario(example('myelomaStaleEcog')).request);
    const other = await sign(body, completed(form, [], 'someone-else'));
    expect(other.body.issue[0].diagnostics).toMatch(
      /subject is "Patient\/someone-else", not Patient\/pt-1/,
    );
    const noId: any = completed(form, [], 'pt-1');
    delete noId.id;
    const res = await sign(body, noId);
    expect(res.body.issue[0].diagnostics).toMatch(/needs an id/);
  });
});

describe('CRD names the form where documentation is needed', () => {
  it.each(['2.0', '2.2'])(
    'coverage-information carries the questionnaire (CRD %s)',
    async (version) => {
      const body: any = clone(scenario(example('myelomaStaleEcog')).request);
      body.prefetch.coverage = coveragePrefetch('pt-1');
      if (version === '2.2') body.extension = { 'davinci-crd.requestedVersion': '2.2' };
      const res = await request(app).post(url).send(body).expect(200);
      const ext = res.body.systemActions[0].resource.extension.find((e: any) =>
        e.url.endsWith('ext-coverage-information'),
      );
      expect(ext.extension.find((e: any) => e.url === 'questionnaire').valueCanonical).toBe(
        'http://example.org/fhir/pa-cds/Questionnaire/CC-0248|2025-11-14',
      );
      // Not on an order whose criteria are met.
      const met: any = clone(scenario(example('myelomaMet')).request);
      met.prefetch.coverage = coveragePrefetch('pt-1');
      const ok = await request(app).post(url).send(met).expect(200);
      const ext2 = ok.body.systemActions[0].resource.extension.find((e: any) =>
        e.url.endsWith('ext-coverage-information'),
      );
      expect(ext2.extension.find((e: any) => e.url === 'questionnaire')).toBeUndefined();
    },
  );

  it('every form in the catalog is one a policy version names', () => {
    expect(
      content()
        .dtr.forms.map((f) => f.canonical)
        .sort(),
    ).toEqual([
      'http://example.org/fhir/pa-cds/Questionnaire/CC-0126|2025-02-21',
      'http://example.org/fhir/pa-cds/Questionnaire/CC-0248|2024-11-15',
      'http://example.org/fhir/pa-cds/Questionnaire/CC-0248|2025-11-14',
    ]);
  });
});
