import express from 'express';
import request from 'supertest';
import { adminRouter } from '../../src/http/admin-router';
import { errorHandler } from '../../src/http/errors';
import { createLogger } from '../../src/platform/log';
import type { PolicyReport, Reports } from '../../src/ports';
import { NOW, testConfig } from './helpers';

/** The reports endpoints: the admin token, the period, JSON and CSV, the trail. */
const TOKEN = 'a'.repeat(32);
const row: PolicyReport = {
  policy: 'CC-0248',
  decisions: 4,
  outcomes: { 'criteria-met': 2, 'criteria-not-met': 1, 'documentation-needed': 1, error: 0 },
  under5s: 0.75,
  withFeedback: 2,
  accepted: 1,
  overridden: 1,
  overrideReasons: [{ code: '=HYPERLINK("x")', count: 1 }],
};
const asked: unknown[] = [];
const reports: Reports = {
  byPolicy: async (from, to) => {
    asked.push([from.toISOString(), to.toISOString()]);
    return [row];
  },
  trail: async (q) => {
    asked.push(q);
    return [
      {
        card: 'c1',
        service: 's',
        policy: 'CC-0248',
        outcome: 'criteria-met',
        hookInstance: 'h',
        decidedAt: '2026-06-01T00:00:00.000Z',
        overrideReasons: [],
        order: 'MedicationRequest/m1',
        feedback: [],
      },
    ];
  },
};

function app(token: string | undefined, withReports = true) {
  const a = express();
  const config = { ...testConfig(), ...(token ? { adminToken: token } : {}) };
  a.use(adminRouter({ ...(withReports ? { reports } : {}), config, now: () => NOW }));
  a.use(errorHandler(createLogger('silent'), config.bodyLimitBytes));
  return a;
}

describe('/admin/reports and /admin/trail', () => {
  const auth = { Authorization: `Bearer ${TOKEN}` };

  it('are off (404) without ADMIN_TOKEN, and refuse a missing or wrong token (401)', async () => {
    const off = await request(app(undefined)).get('/admin/reports').set(auth).expect(404);
    expect(off.text).toMatch(/reports are off/);
    await request(app(TOKEN)).get('/admin/reports').expect(401);
    await request(app(TOKEN))
      .get('/admin/reports')
      .set({ Authorization: 'Bearer nope' })
      .expect(401);
  });

  it('report a period as JSON, the last 31 days by default', async () => {
    asked.length = 0;
    const res = await request(app(TOKEN)).get('/admin/reports').set(auth).expect(200);
    expect(res.body.policies).toEqual([row]);
    expect(asked[0]).toEqual(['2026-05-16T12:00:00.000Z', '2026-06-16T12:00:00.000Z']);
    await request(app(TOKEN))
      .get('/admin/reports?from=2026-06-01&to=2026-06-08')
      .set(auth)
      .expect(200);
    expect(asked[1]).toEqual(['2026-06-01T00:00:00.000Z', '2026-06-08T00:00:00.000Z']);
  });

  it('report as CSV, with a field that would be a formula defused', async () => {
    const res = await request(app(TOKEN)).get('/admin/reports?format=csv').set(auth).expect(200);
    expect(res.headers['content-type']).toMatch(/text\/csv/);
    const [header, line] = res.text.trim().split('\r\n');
    expect(header).toBe(
      'policy,decisions,criteria-met,criteria-not-met,documentation-needed,error,under_5s,with_feedback,accepted,overridden,top_override_reasons',
    );
    expect(line).toBe(`CC-0248,4,2,1,1,0,0.7500,2,1,1,"'=HYPERLINK(""x"") (1)"`);
  });

  it('give the trail of an order or an assertion, and 400 for neither or both, or a bad date', async () => {
    const res = await request(app(TOKEN))
      .get('/admin/trail?order=MedicationRequest/m1')
      .set(auth)
      .expect(200);
    expect(res.body.decisions[0].card).toBe('c1');
    const csv = await request(app(TOKEN))
      .get('/admin/trail?assertion=a1&format=csv')
      .set(auth)
      .expect(200);
    expect(csv.text.split('\r\n')[1]).toMatch(/^2026-06-01T00:00:00.000Z,c1,/);
    await request(app(TOKEN)).get('/admin/trail').set(auth).expect(400);
    await request(app(TOKEN)).get('/admin/trail?order=x&assertion=y').set(auth).expect(400);
    const bad = await request(app(TOKEN)).get('/admin/reports?from=June').set(auth).expect(400);
    expect(bad.text).toMatch(/from must be a date/);
  });

  it('are off when the state is kept in files (no reports)', async () => {
    await request(app(TOKEN, false)).get('/admin/reports').set(auth).expect(404);
  });
});
