import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import request from 'supertest';
import { createDemoFhirServer, readSeedBundles } from '../../demo/fhir-server';
import { demoRouter } from '../../demo/router';
import { readDemoPatients } from '../../demo/try-page';
import { createLogger } from '../../src/platform/log';
import { content, NOW, testApp } from './helpers';

/**
 * Demo mode end to end over real HTTP: every demo patient signed against the embedded FHIR server
 * (the service fetches the record from it with the token, as from an EHR) gives the outcome the
 * demo promises, with the CRD annotation from the seeded Coverage.
 */
let server: Server;
let base: string;
const patients = readDemoPatients();

beforeAll(async () => {
  const { service } = content();
  const fhir = createDemoFhirServer();
  await fhir.load(readSeedBundles(NOW));
  // The demo entry's composition: the service app with the demo router mounted first.
  const { app } = testApp(
    { fhirTimeoutMs: 5000 },
    {
      log: createLogger('silent'),
      routers: [{ path: '/', router: demoRouter({ serviceId: service.id, fhir: fhir.router }) }],
    },
  );
  server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise((r) => server.close(r)));

describe('demo FHIR server', () => {
  it('answers /metadata and patient= searches', async () => {
    const meta = await request(base).get('/demo/fhir/metadata').expect(200);
    expect(meta.body).toMatchObject({ resourceType: 'CapabilityStatement', fhirVersion: '4.0.1' });
    const conditions = await request(base)
      .get('/demo/fhir/Condition?patient=demo-elrexfio-met')
      .expect(200);
    expect(conditions.body.entry.map((e: any) => e.resource.subject.reference)).toEqual([
      'Patient/demo-elrexfio-met',
    ]);
    const coverage = await request(base)
      .get('/demo/fhir/Coverage?patient=demo-blincyto-tki&status=active')
      .expect(200);
    expect(coverage.body.entry).toHaveLength(1);
    await request(base).get('/demo/fhir/Patient/nobody').expect(404);
  });

  it('serves the try page with a strict content security policy and the demo data', async () => {
    const page = await request(base).get('/try').expect(200);
    expect(page.headers['content-security-policy']).toMatch(/script-src 'self'/);
    expect(page.text).not.toMatch(/<script>(?!<)/);
    const demo = await request(base).get('/try/demo.json').expect(200);
    expect(demo.body.fhirServer).toMatch(/\/demo\/fhir$/);
    expect(demo.body.patients).toHaveLength(patients.length);
    await request(base).get('/').expect(302).expect('Location', '/try');
  });
});

describe.each(patients.map((p) => [p.id, p] as const))('signing for %s', (_id, patient) => {
  it(`gives ${patient.policy} ${patient.expected} from data fetched off the embedded FHIR server`, async () => {
    const res = await request(base)
      .post('/cds-services/prior-auth-criteria')
      .send({
        hook: 'order-sign',
        hookInstance: `demo-${patient.id}`,
        fhirServer: `${base}/demo/fhir`,
        fhirAuthorization: { access_token: 'demo-token', token_type: 'Bearer' },
        context: {
          userId: 'Practitioner/demo',
          patientId: patient.id,
          draftOrders: {
            resourceType: 'Bundle',
            type: 'collection',
            entry: patient.draftOrders.map((resource) => ({ resource })),
          },
        },
      })
      .expect(200);
    const ext = res.body.cards
      .map((c: any) => c.extension['prior-auth-criteria'])
      .find((e: any) => e.policy === patient.policy);
    expect(ext.outcome).toBe(patient.expected);
    expect(res.body.systemActions).toHaveLength(1);
  });
});
