import express from 'express';
import request from 'supertest';
import { opsRouter } from '../../src/http/ops-router';
import { Metrics } from '../../src/platform/metrics';
import { coveragePrefetch } from '../support';
import { escapeRegExp, example, kit, scenario, testApp } from './helpers';

describe('operations endpoints and headers', () => {
  const t = testApp();
  const { app, url } = t;
  const s = scenario(example('myelomaMet'));

  it('/health is live and /ready says whether policies are loaded', async () => {
    await request(app).get('/health').expect(200, { status: 'ok' });
    const ready = await request(app).get('/ready').expect(200);
    expect(ready.body.policies).toEqual(kit().policies.map((p) => p.id));
  });

  it('/health and /ready answer 503 with the reason once the state store has failed', async () => {
    const store: { failure?: string } = {};
    const ops = express().use(
      opsRouter({
        metrics: new Metrics(),
        state: { ready: true },
        policyIds: ['CC-0248'],
        stateFailure: () => store.failure,
      }),
    );
    await request(ops).get('/health').expect(200, { status: 'ok' });
    await request(ops).get('/ready').expect(200);
    store.failure = 'the embedded database thread exited (1)';
    await request(ops)
      .get('/health')
      .expect(503, { status: 'failing', reason: 'the embedded database thread exited (1)' });
    const ready = await request(ops).get('/ready').expect(503);
    expect(ready.body).toMatchObject({ status: 'not ready', reason: store.failure });
  });

  it('/metrics exposes request counts and latency by status, policy outcomes and FHIR latency', async () => {
    await request(app).post(url).send(s.request).expect(200);
    await request(app).post(url).send({}).expect(400);
    const res = await request(app).get('/metrics').expect(200);
    expect(res.headers['content-type']).toMatch(/text\/plain/);
    expect(res.text).toMatch(
      /cds_http_requests_total\{route="\/cds-services\/:id",status="200"\} 1/,
    );
    expect(res.text).toMatch(
      /cds_http_requests_total\{route="\/cds-services\/:id",status="400"\} 1/,
    );
    expect(res.text).toMatch(
      /cds_http_request_duration_seconds_bucket\{le="0.5",route="\/cds-services\/:id",status="200"\} 1/,
    );
    expect(res.text).toMatch(
      new RegExp(
        `cds_policy_outcomes_total\\{policy="${escapeRegExp(s.expected.policy)}",outcome="criteria-met"\\} 1`,
      ),
    );
    expect(res.text).toMatch(/# TYPE cds_fhir_request_duration_seconds histogram/);
    // CRD metrics.md: the share answered within 5 s, per hook (and status).
    expect(res.text).toMatch(
      /cds_crd_responses_total\{hook="order-sign",status="200",under_5s="yes"\} 1/,
    );
    expect(res.text).toMatch(
      /cds_crd_responses_total\{hook="order-sign",status="400",under_5s="yes"\} 1/,
    );
  });

  it('/metrics counts CRD coverage assertions by hook, policy and what they assert (CRD metrics)', async () => {
    const { app: fresh, url: u } = testApp();
    const body: any = structuredClone(s.request);
    body.prefetch.coverage = coveragePrefetch();
    await request(fresh).post(u).send(body).expect(200);
    await request(fresh).post(u).send(body).expect(200);
    const res = await request(fresh).get('/metrics').expect(200);
    expect(res.text).toMatch(
      new RegExp(
        `cds_crd_coverage_assertions_total\\{hook="order-sign",policy="${escapeRegExp(s.expected.policy)}",covered="covered",pa_needed="auth-needed",questionnaire="no"\\} 2`,
      ),
    );
  });

  it('sends helmet security headers and keeps CORS working', async () => {
    const res = await request(app).get('/cds-services').expect(200);
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['strict-transport-security']).toMatch(/max-age/);
    expect(res.headers['content-security-policy']).toMatch(/default-src 'self'/);
    expect(res.headers['access-control-allow-origin']).toBe('*');
    expect(res.headers['cross-origin-resource-policy']).toBe('cross-origin');
    expect(res.headers['x-powered-by']).toBeUndefined();
  });

  it('writes one structured log line per order-sign request with hookInstance, policies, outcome counts and duration', () => {
    const line = t.logs.map((l) => JSON.parse(l)).find((l) => l.event === 'order-sign');
    expect(line).toMatchObject({
      level: 'info',
      hookInstance: expect.any(String),
      policies: [`${s.expected.policy}:criteria-met`],
      outcomes: { 'criteria-met': 1 },
      cards: 1,
      ms: expect.any(Number),
    });
    expect(JSON.stringify(line)).not.toMatch(/pt-1|birthDate/);
  });
});
