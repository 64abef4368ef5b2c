import request from 'supertest';
import { clone, example, scenario, testApp } from './helpers';

/** No request, however malformed, gets a 5xx: each is a 4xx with a message and CORS headers. */
const { app, url, logs } = testApp({ bodyLimitBytes: 64 * 1024 });
const valid = () => clone(scenario(example('myelomaMet')).request) as any;

function mutate(change: (b: any) => void) {
  const b = valid();
  change(b);
  return b;
}

const draft = (b: any) => b.context.draftOrders.entry[0].resource;

const BAD_BODIES: [string, unknown, RegExp][] = [
  ['an array', [], /JSON object/],
  ['a string', '"order-sign"', /JSON object/],
  ['null', 'null', /JSON object/],
  ['no hook', mutate((b) => delete b.hook), /hook must be "order-sign"/],
  ['another hook', mutate((b) => (b.hook = 'patient-view')), /hook must be "order-sign"/],
  ['no hookInstance', mutate((b) => delete b.hookInstance), /hookInstance/],
  ['hookInstance a number', mutate((b) => (b.hookInstance = 42)), /hookInstance/],
  ['no context', mutate((b) => delete b.context), /context must be an object/],
  ['context an array', mutate((b) => (b.context = [])), /context must be an object/],
  ['no userId', mutate((b) => delete b.context.userId), /context\.userId/],
  [
    'userId not a reference',
    mutate((b) => (b.context.userId = 'dr who')),
    /context\.userId must be a reference/,
  ],
  ['no patientId', mutate((b) => delete b.context.patientId), /context\.patientId/],
  [
    'patientId with a slash',
    mutate((b) => (b.context.patientId = 'Patient/pt-1')),
    /context\.patientId must be a FHIR id/,
  ],
  ['encounterId a number', mutate((b) => (b.context.encounterId = 7)), /context\.encounterId/],
  [
    'no draftOrders',
    mutate((b) => delete b.context.draftOrders),
    /draftOrders must be a FHIR Bundle/,
  ],
  [
    'draftOrders not a Bundle',
    mutate((b) => (b.context.draftOrders = { resourceType: 'MedicationRequest' })),
    /draftOrders must be a FHIR Bundle/,
  ],
  [
    'draftOrders entry not an array',
    mutate((b) => (b.context.draftOrders.entry = {})),
    /entry must be an array/,
  ],
  [
    'an entry without resource',
    mutate((b) => (b.context.draftOrders.entry = [{}])),
    /entry\[0\]\.resource must be a FHIR resource/,
  ],
  [
    'a MedicationRequest without medication',
    mutate((b) => delete draft(b).medicationCodeableConcept),
    /needs medicationCodeableConcept or medicationReference/,
  ],
  [
    'medicationCodeableConcept a string',
    mutate((b) => (draft(b).medicationCodeableConcept = 'J1323')),
    /must be a CodeableConcept/,
  ],
  [
    'fhirServer not a URL',
    mutate((b) => (b.fhirServer = 'not a url')),
    /fhirServer must be an absolute URL/,
  ],
  ['fhirServer ftp', mutate((b) => (b.fhirServer = 'ftp://x/fhir')), /http or https/],
  [
    'fhirAuthorization without fhirServer',
    mutate((b) => (b.fhirAuthorization = { access_token: 't', token_type: 'Bearer' })),
    /only allowed together with fhirServer/,
  ],
  [
    'fhirAuthorization without token',
    mutate((b) => {
      b.fhirServer = 'https://x/fhir';
      b.fhirAuthorization = { token_type: 'Bearer' };
    }),
    /access_token/,
  ],
  [
    'fhirAuthorization not Bearer',
    mutate((b) => {
      b.fhirServer = 'https://x/fhir';
      b.fhirAuthorization = { access_token: 't', token_type: 'MAC' };
    }),
    /Bearer/,
  ],
  ['prefetch an array', mutate((b) => (b.prefetch = [])), /prefetch must be an object/],
  [
    'prefetch Patient of another patient',
    mutate((b) => (b.prefetch.patient = { resourceType: 'Patient', id: 'someone-else' })),
    /another patient than context\.patientId/,
  ],
  [
    'prefetch Condition of another patient',
    mutate((b) => (b.prefetch.conditions.entry[0].resource.subject.reference = 'Patient/other')),
    /another patient/,
  ],
  [
    'two draft orders with one id',
    mutate((b) => b.context.draftOrders.entry.push(clone(b.context.draftOrders.entry[0]))),
    /same id/,
  ],
  [
    'prefetch values of the wrong shape',
    mutate((b) => {
      b.prefetch.conditions = 'lots';
      b.prefetch.patient = 12;
    }),
    /prefetch\.(conditions|patient) must be a FHIR resource, a Bundle or null/,
  ],
  [
    'a prefetch Bundle with entries of the wrong shape',
    mutate((b) => (b.prefetch.conditions.entry = [1, 2])),
    /prefetch\.conditions\.entry\[0\] must be an object/,
  ],
  ['extension an array', mutate((b) => (b.extension = [])), /extension must be an object/],
  // Wrong types everywhere a field is read.
  ['hook a number', mutate((b) => (b.hook = 1)), /hook must be "order-sign"/],
  [
    'hook an object',
    mutate((b) => (b.hook = { toString: 'order-sign' })),
    /hook must be "order-sign"/,
  ],
  ['hookInstance an empty string', mutate((b) => (b.hookInstance = '   ')), /hookInstance/],
  ['hookInstance an array', mutate((b) => (b.hookInstance = ['a'])), /hookInstance/],
  [
    'userId an object',
    mutate((b) => (b.context.userId = { reference: 'Practitioner/1' })),
    /context\.userId/,
  ],
  ['patientId a number', mutate((b) => (b.context.patientId = 12345)), /context\.patientId/],
  [
    'patientId with a query',
    mutate((b) => (b.context.patientId = 'pt-1&_count=100000')),
    /context\.patientId must be a FHIR id/,
  ],
  [
    'patientId with path traversal',
    mutate((b) => (b.context.patientId = '../../metadata')),
    /context\.patientId must be a FHIR id/,
  ],
  [
    'draftOrders null',
    mutate((b) => (b.context.draftOrders = null)),
    /draftOrders must be a FHIR Bundle/,
  ],
  [
    'draftOrders a string',
    mutate((b) => (b.context.draftOrders = 'Bundle')),
    /draftOrders must be a FHIR Bundle/,
  ],
  [
    'an entry resource without resourceType',
    mutate((b) => (b.context.draftOrders.entry[0].resource = { id: 'x' })),
    /must be a FHIR resource/,
  ],
  ['a MedicationRequest id a number', mutate((b) => (draft(b).id = 5)), /id must be a string/],
  [
    'coding not an array',
    mutate((b) => (draft(b).medicationCodeableConcept.coding = { code: 'J1323' })),
    /coding must be an array of Codings/,
  ],
  [
    'coding holding strings',
    mutate((b) => (draft(b).medicationCodeableConcept.coding = ['J1323'])),
    /coding must be an array of Codings/,
  ],
  [
    'medicationReference a string',
    mutate((b) => {
      delete draft(b).medicationCodeableConcept;
      draft(b).medicationReference = 'Medication/1';
    }),
    /medicationReference must be a Reference/,
  ],
  [
    'contained not an array',
    mutate((b) => (draft(b).contained = { resourceType: 'Medication' })),
    /contained must be an array of resources/,
  ],
  [
    'fhirServer a number',
    mutate((b) => (b.fhirServer = 443)),
    /fhirServer must be a non-empty string/,
  ],
  [
    'fhirServer javascript:',
    mutate((b) => (b.fhirServer = 'javascript:alert(1)')),
    /http or https/,
  ],
  ['fhirServer file:', mutate((b) => (b.fhirServer = 'file:///etc/passwd')), /http or https/],
  [
    'fhirAuthorization a string',
    mutate((b) => {
      b.fhirServer = 'https://x/fhir';
      b.fhirAuthorization = 'Bearer abc';
    }),
    /fhirAuthorization must be an object/,
  ],
  [
    'fhirAuthorization expires_in a string',
    mutate((b) => {
      b.fhirServer = 'https://x/fhir';
      b.fhirAuthorization = { access_token: 't', token_type: 'Bearer', expires_in: 'soon' };
    }),
    /expires_in must be a number/,
  ],
  [
    'fhirAuthorization scope a number',
    mutate((b) => {
      b.fhirServer = 'https://x/fhir';
      b.fhirAuthorization = { access_token: 't', token_type: 'Bearer', scope: 7 };
    }),
    /scope must be a string/,
  ],
  [
    'a prefetch value that is an array',
    mutate((b) => (b.prefetch.conditions = [])),
    /prefetch\.conditions must be a FHIR resource/,
  ],
  [
    'a prefetch Bundle entry resource without type',
    mutate((b) => (b.prefetch.conditions.entry = [{ resource: { id: 'c' } }])),
    /prefetch\.conditions\.entry\[0\]\.resource must be a FHIR resource/,
  ],
  [
    'prefetch Observation of another patient',
    mutate(
      (b) => (b.prefetch.observations.entry[0].resource.subject.reference = 'Patient/intruder'),
    ),
    /another patient/,
  ],
  [
    'prefetch Coverage of another patient',
    mutate(
      (b) =>
        (b.prefetch.coverage = {
          resourceType: 'Coverage',
          id: 'c',
          status: 'active',
          beneficiary: { reference: 'Patient/intruder' },
        }),
    ),
    /another patient/,
  ],
  // Huge strings.
  [
    'a 300-character hookInstance',
    mutate((b) => (b.hookInstance = 'h'.repeat(300))),
    /hookInstance is longer than 256/,
  ],
  [
    'a 2000-character userId',
    mutate((b) => (b.context.userId = `Practitioner/${'u'.repeat(2000)}`)),
    /context\.userId is longer than 1024|must be a reference/,
  ],
  [
    'a 100-character patientId',
    mutate((b) => (b.context.patientId = 'p'.repeat(100))),
    /context\.patientId must be a FHIR id/,
  ],
  [
    'a 20000-character access token',
    mutate((b) => {
      b.fhirServer = 'https://x/fhir';
      b.fhirAuthorization = { access_token: 'a'.repeat(20000), token_type: 'Bearer' };
    }),
    /access_token is longer than 16384/,
  ],
  [
    'a 3000-character fhirServer',
    mutate((b) => (b.fhirServer = `https://x/${'f'.repeat(3000)}`)),
    /fhirServer is longer than 2048/,
  ],
  // Prototype pollution attempts: handled as plain data, never merged into objects.
  [
    '__proto__ as the hook',
    '{"__proto__": {"hook": "order-sign"}, "hookInstance": "x"}',
    /hook must be "order-sign"/,
  ],
  [
    '__proto__ inside context',
    mutateRaw((b) => b.replace('"context":{', '"context":{"__proto__":{"polluted":true},')),
    /^$/,
  ],
  [
    'constructor.prototype inside prefetch',
    mutateRaw((b) =>
      b.replace('"prefetch":{', '"prefetch":{"constructor":{"prototype":{"polluted":true}},'),
    ),
    /prefetch\.constructor must be a FHIR resource/,
  ],
];

function mutateRaw(change: (raw: string) => string): string {
  return change(JSON.stringify(valid()));
}

describe('malformed order-sign requests', () => {
  it.each(BAD_BODIES)('%s → 4xx with a message', async (_name, body, message) => {
    const raw = typeof body === 'string' ? body : JSON.stringify(body);
    const res = await request(app).post(url).set('Content-Type', 'application/json').send(raw);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    if (message.source === '^$') {
      // Harmless extra data: answered normally.
      expect(res.status).toBe(200);
      return;
    }
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    expect(res.headers['access-control-allow-origin']).toBe('*');
    expect(res.body.resourceType).toBe('OperationOutcome');
    expect(res.body.issue[0].diagnostics).toMatch(message);
    expect(JSON.stringify(res.body)).not.toMatch(/\n\s+at |node_modules/);
  });

  it('400 for JSON nested 20000 levels deep (no stack overflow, no crash)', async () => {
    const deep = '['.repeat(20000) + ']'.repeat(20000);
    const res = await request(app)
      .post(url)
      .set('Content-Type', 'application/json')
      .send(`{"hook":"order-sign","prefetch":{"x":${deep}}}`);
    expect(res.status).toBe(400);
  });

  it('400 for a body with NUL bytes and lone surrogates', async () => {
    const res = await request(app)
      .post(url)
      .set('Content-Type', 'application/json')
      .send('{"hook":"order-sign\u0000","hookInstance":"\ud800"}');
    expect(res.status).toBe(400);
  });

  it('415 for a JSON body declared with a wrong charset', async () => {
    const res = await request(app)
      .post(url)
      .set('Content-Type', 'application/json; charset=ebcdic')
      .send('{}');
    expect(res.status).toBe(415);
  });

  it('400 for a body that is not JSON', async () => {
    const res = await request(app)
      .post(url)
      .set('Content-Type', 'application/json')
      .send('{"hook": "order-sign",')
      .expect(400);
    expect(res.body.issue[0].diagnostics).toMatch(/not valid JSON/);
  });

  it('415 for a body sent as another media type', async () => {
    const res = await request(app)
      .post(url)
      .set('Content-Type', 'text/plain')
      .send('hook=order-sign')
      .expect(415);
    expect(res.body.issue[0].diagnostics).toMatch(/application\/json/);
    await request(app)
      .post(url)
      .set('Content-Type', 'application/x-www-form-urlencoded')
      .send('a=b')
      .expect(415);
  });

  it('413 for a body over the configured limit', async () => {
    const big = valid();
    big.prefetch.padding = { resourceType: 'Basic', id: 'x', text: { div: 'x'.repeat(70 * 1024) } };
    const res = await request(app).post(url).send(big).expect(413);
    expect(res.body.issue[0].diagnostics).toMatch(/larger than 65536 bytes/);
    expect(res.headers['access-control-allow-origin']).toBe('*');
  });

  it('404 for an unknown service, with CORS', async () => {
    const res = await request(app).post('/cds-services/nope').send(valid()).expect(404);
    expect(res.body.issue[0].diagnostics).toMatch(/no CDS service "nope"/);
    expect(res.headers['access-control-allow-origin']).toBe('*');
    await request(app).post('/cds-services/nope/feedback').send({ feedback: [] }).expect(404);
    await request(app).get('/no/such/path').expect(404);
  });

  it('405 for a wrong method on a service', async () => {
    await request(app).get(url).expect(405);
    await request(app).put('/cds-services').send({}).expect(405);
  });

  it('never a 5xx for randomly damaged requests', async () => {
    // Deterministic pseudo-random damage: replace, delete or retype values at random paths.
    let seed = 20261122;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const junk = [
      null,
      0,
      -1,
      1e308,
      '',
      'x',
      [],
      {},
      true,
      [null],
      { resourceType: 'Bundle' },
      { resourceType: 'OperationOutcome' },
    ];
    const paths = (v: any, prefix: string[] = []): string[][] =>
      v && typeof v === 'object'
        ? Object.keys(v).flatMap((k) => [[...prefix, k], ...paths(v[k], [...prefix, k])])
        : [];
    const base = valid();
    const all = paths(base);
    for (let i = 0; i < Number(process.env.FUZZ_ITERATIONS ?? 150); i++) {
      const body = clone(base);
      for (let j = 0; j < 1 + rand(3); j++) {
        const p = all[rand(all.length)]!;
        let parent: any = body;
        for (const k of p.slice(0, -1)) parent = parent?.[k];
        if (parent && typeof parent === 'object') {
          if (rand(3) === 0) delete parent[p[p.length - 1]!];
          else parent[p[p.length - 1]!] = junk[rand(junk.length)];
        }
      }
      const res = await request(app).post(url).send(body);
      if (res.status >= 500)
        throw new Error(`5xx for ${JSON.stringify(body)}: ${logs[logs.length - 1]}`);
    }
  });
});
