import request from 'supertest';
import { boldCriteria, explanationProblems, type Explained } from '../kit/explanation-oracle';
import { allScenarioFiles, scenario, testApp } from './helpers';

/**
 * Every test patient, sent as a real order-sign request over HTTP: the card extension must say
 * what the scenario expects, and the card must be readable in five seconds — a summary under 140
 * characters, a detail of at most 700, an explanation (approving branch, blocking criteria,
 * smallest missing sets) that an independent reading of the formula confirms, and no advice on a
 * criterion that cannot change the outcome.
 */
const { app, url } = testApp();

interface CardBody {
  summary: string;
  detail: string;
  links?: unknown[];
  extension: { 'prior-auth-criteria': Explained & { policy: string; toDocument?: object } };
}

describe.each(allScenarioFiles())('POST %s', (file) => {
  it('returns a card whose prior-auth-criteria extension matches the expectation, explained', async () => {
    const s = scenario(file);
    const res = await request(app).post(url).send(s.request).expect(200);
    const card = (res.body.cards as CardBody[]).find(
      (c) => c.extension['prior-auth-criteria'].policy === s.expected.policy,
    );
    expect(card).toBeDefined();
    const ext = card!.extension['prior-auth-criteria'];
    expect(ext.outcome).toBe(s.expected.outcome);
    const statuses = Object.fromEntries(ext.criteria.map((c) => [c.id, c.status]));
    expect(statuses).toMatchObject(s.expected.criteria);

    expect(explanationProblems(ext)).toEqual([]);
    expect(card!.summary.length).toBeLessThan(140);
    expect(card!.summary).toContain(s.expected.policy);
    expect(card!.detail.length).toBeLessThanOrEqual(700);
    // The detail names only criteria that decide: the approving branch, what blocks, what to document.
    const deciding = new Set([
      ...(ext.approvingBranch ?? []),
      ...(ext.blockingCriteria ?? []),
      ...(ext.missingSets ?? []).flat(),
    ]);
    const named = boldCriteria(
      card!.detail,
      ext.criteria.map((c) => c.id),
    );
    expect(named.filter((id) => !deciding.has(id))).toEqual([]);
    if (ext.outcome === 'documentation-needed') {
      expect(Object.keys(ext.toDocument ?? {}).sort()).toEqual([...deciding].sort());
      expect(card!.links).toBeUndefined(); // Da Vinci CRD Instructions: text only
    }
  });
});
