import request from 'supertest';
import { clone, scenario, testApp } from './helpers';

/** No request, however malformed, gets a 5xx: each is a 4xx with a message and CORS headers. */
const { app, url, logs } = testApp({ bodyLimitBytes: 64 * 1024 });
const valid = () => clone(scenario('CC-0248/met-relapsed-four-lines-ecog-1.json').request) as any;

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
  ['userId not a reference', mutate((b) => (b.context.userId = 'dr who')), /context\.userId must be a reference/],
  ['no patientId', mutate((b) => delete b.context.patientId), /context\.patientId/],
  ['patientId with a slash', mutate((b) => (b.context.patientId = 'Patient/pt-1')), /context\.patientId must be a FHIR id/],
  ['encounterId a number', mutate((b) => (b.context.encounterId = 7)), /context\.encounterId/],
  ['no draftOrders', mutate((b) => delete b.context.draftOrders), /draftOrders must be a FHIR Bundle/],
  ['draftOrders not a Bundle', mutate((b) => (b.context.draftOrders = { resourceType: 'MedicationRequest' })), /draftOrders must be a FHIR Bundle/],
  ['draftOrders entry not an array', mutate((b) => (b.context.draftOrders.entry = {})), /entry must be an array/],
  ['an entry without resource', mutate((b) => (b.context.draftOrders.entry = [{}])), /entry\[0\]\.resource must be a FHIR resource/],
  ['a MedicationRequest without medication', mutate((b) => delete draft(b).medicationCodeableConcept), /needs medicationCodeableConcept or medicationReference/],
  ['medicationCodeableConcept a string', mutate((b) => (draft(b).medicationCodeableConcept = 'J1323')), /must be a CodeableConcept/],
  ['fhirServer not a URL', mutate((b) => (b.fhirServer = 'not a url')), /fhirServer must be an absolute URL/],
  ['fhirServer ftp', mutate((b) => (b.fhirServer = 'ftp://x/fhir')), /http or https/],
  ['fhirAuthorization without fhirServer', mutate((b) => (b.fhirAuthorization = { access_token: 't', token_type: 'Bearer' })), /only allowed together with fhirServer/],
  ['fhirAuthorization without token', mutate((b) => { b.fhirServer = 'https://x/fhir'; b.fhirAuthorization = { token_type: 'Bearer' }; }), /access_token/],
  ['fhirAuthorization not Bearer', mutate((b) => { b.fhirServer = 'https://x/fhir'; b.fhirAuthorization = { access_token: 't', token_type: 'MAC' }; }), /Bearer/],
  ['prefetch an array', mutate((b) => (b.prefetch = [])), /prefetch must be an object/],
  ['prefetch Patient of another patient', mutate((b) => (b.prefetch.patient = { resourceType: 'Patient', id: 'someone-else' })), /another patient than context\.patientId/],
  ['prefetch Condition of another patient', mutate((b) => (b.prefetch.conditions.entry[0].resource.subject.reference = 'Patient/other')), /another patient/],
  ['two draft orders with one id', mutate((b) => b.context.draftOrders.entry.push(clone(b.context.draftOrders.entry[0]))), /same id/],
  ['prefetch values of the wrong shape', mutate((b) => { b.prefetch.conditions = 'lots'; b.prefetch.patient = 12; }), /prefetch\.(conditions|patient) must be a FHIR resource, a Bundle or null/],
  ['a prefetch Bundle with entries of the wrong shape', mutate((b) => (b.prefetch.conditions.entry = [1, 2])), /prefetch\.conditions\.entry\[0\] must be an object/],
  ['extension an array', mutate((b) => (b.extension = [])), /extension must be an object/],
];

describe('malformed order-sign requests', () => {
  it.each(BAD_BODIES)('%s → 4xx with a message', async (_name, body, message) => {
    const raw = typeof body === 'string' ? body : JSON.stringify(body);
    const res = await request(app).post(url).set('Content-Type', 'application/json').send(raw);
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    expect(res.headers['access-control-allow-origin']).toBe('*');
    expect(res.body.resourceType).toBe('OperationOutcome');
    expect(res.body.issue[0].diagnostics).toMatch(message.source === '^$' ? /./ : message);
    expect(JSON.stringify(res.body)).not.toMatch(/\n\s+at |node_modules/);
  });

  it('400 for a body that is not JSON', async () => {
    const res = await request(app).post(url).set('Content-Type', 'application/json').send('{"hook": "order-sign",').expect(400);
    expect(res.body.issue[0].diagnostics).toMatch(/not valid JSON/);
  });

  it('415 for a body sent as another media type', async () => {
    const res = await request(app).post(url).set('Content-Type', 'text/plain').send('hook=order-sign').expect(415);
    expect(res.body.issue[0].diagnostics).toMatch(/application\/json/);
    await request(app).post(url).set('Content-Type', 'application/x-www-form-urlencoded').send('a=b').expect(415);
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
    const junk = [null, 0, -1, 1e308, '', 'x', [], {}, true, [null], { resourceType: 'Bundle' }, { resourceType: 'OperationOutcome' }];
    const paths = (v: any, prefix: string[] = []): string[][] =>
      v && typeof v === 'object' ? Object.keys(v).flatMap((k) => [[...prefix, k], ...paths(v[k], [...prefix, k])]) : [];
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
      if (res.status >= 500) throw new Error(`5xx for ${JSON.stringify(body)}: ${logs[logs.length - 1]}`);
    }
  });
});
