import request from 'supertest';
import { content, testApp } from './helpers';

/**
 * The page a card links to: the document's criteria text, each criterion's role, how the record
 * is read and what documents it, the formula, the notes, the dates, and the document itself.
 */
const { app } = testApp();
const policies = content().policies;

describe.each(policies.map((p) => [p.definition.id, p] as const))(
  'GET /policies/%s',
  (id, policy) => {
    const d = policy.definition;

    it("shows every criterion with the document's words, its role, its data rule and what documents it", async () => {
      const res = await request(app)
        .get(`/policies/${id}`)
        .expect(200)
        .expect('Content-Type', /html/);
      for (const c of d.criteria) {
        const words = d.criteriaWords[c]!;
        const row = new RegExp(`<tr id="criterion-${c.replace('.', '\\.')}">(.*?)</tr>`).exec(
          res.text,
        )?.[1];
        expect(row).toBeDefined();
        // The page escapes HTML; the texts here hold none of <>&"' but apostrophes.
        const html = (t: string) => t.replace(/'/g, '&#39;');
        expect(row).toContain(html(words.text));
        expect(row).toContain(html(words.dataRule));
        expect(row).toContain(html(d.nextSteps[c] ?? ''));
        expect(row).toContain(
          policy.formula.roles[c] === 'exclusion' ? 'must not apply' : 'must be met',
        );
      }
      expect(res.text).toContain(d.document.published);
      expect(res.text).toContain(`/policies/${id}/versions/${policy.version}/document`);
      for (const note of d.notes ?? []) expect(res.text).toContain(note);
    });

    it('serves the document as encoded, as text', async () => {
      const res = await request(app).get(`/policies/${id}/document`).expect(200);
      expect(res.headers['content-type']).toMatch(/^text\/plain/);
      expect(res.text).toMatch(new RegExp(`Document #:\\s+${d.document.number}`));
      expect(res.text).toMatch(/Clinical Criteria/);
    });
  },
);

it('answers 404 for a policy it does not have, with a message', async () => {
  const res = await request(app)
    .get('/policies/CC-9999')
    .expect(404)
    .expect('Content-Type', /json/);
  expect(JSON.stringify(res.body)).toMatch(/no policy CC-9999/);
  await request(app).get('/policies/CC-9999/document').expect(404);
});
