import request from 'supertest';
import { allScenarioFiles, scenario, testApp } from './helpers';

/** Every test patient, sent as a real order-sign request over HTTP; the card extension must say what the scenario expects. */
const { app, url } = testApp();

describe.each(allScenarioFiles())('POST %s', (file) => {
  it('returns a card whose prior-auth-criteria extension matches the expectation', async () => {
    const s = scenario(file);
    const res = await request(app).post(url).send(s.request).expect(200);
    const cards = res.body.cards as {
      extension: {
        'prior-auth-criteria': {
          policy: string;
          outcome: string;
          criteria: { id: string; status: string; evidence: unknown }[];
        };
      };
    }[];
    const ext = cards
      .map((c) => c.extension['prior-auth-criteria'])
      .find((e) => e.policy === s.expected.policy);
    expect(ext).toBeDefined();
    expect(ext!.outcome).toBe(s.expected.outcome);
    const statuses = Object.fromEntries(ext!.criteria.map((c) => [c.id, c.status]));
    expect(statuses).toMatchObject(s.expected.criteria);
    expect(ext!.criteria.every((c) => Array.isArray(c.evidence))).toBe(true);
  });
});
