import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { ContentError } from '../../src/platform/errors';
import { DEFAULT_CONTENT } from '../../src/platform/paths';
import { effectiveUntil, orderDate, versionFor } from '../../src/policy/load';
import { loadContent } from '../../src/services/content';
import { coveragePrefetch } from '../support';
import { clone, content, example, scenario, testApp } from './helpers';

/**
 * Policy versions by effective date: CC-0248 has the 11/15/2024 review (published 12/23/2024)
 * and the 11/14/2025 one (published 12/22/2025) on file. The version in force on the order's
 * date (authoredOn, else the evaluation date) is evaluated and cited.
 */
const ELREXFIO = example('myelomaMet');
const elrexfio = content().policies.find((p) => p.definition.id === 'CC-0248')!;

describe('policy versions on file', () => {
  it('loads both CC-0248 versions, oldest first, the newest standing for the policy', () => {
    expect(elrexfio.version).toBe('2025-11-14');
    expect(elrexfio.versions.map((v) => [v.version, v.effectiveFrom])).toEqual([
      ['2024-11-15', '2024-12-23'],
      ['2025-11-14', '2025-12-22'],
    ]);
    expect(content().policies.map((p) => p.definition.id)).toEqual(['CC-0126', 'CC-0248']);
    expect(effectiveUntil(elrexfio.versions[0]!)).toBe('2025-12-21');
    expect(effectiveUntil(elrexfio)).toBeUndefined();
  });

  it.each([
    ['2025-12-21', '2024-11-15'],
    ['2025-12-22', '2025-11-14'],
    ['2026-06-15', '2025-11-14'],
    ['2024-12-23', '2024-11-15'],
    // Before the oldest version on file: the oldest applies.
    ['2019-01-01', '2024-11-15'],
  ])('on %s the version in force is %s', (date, version) => {
    expect(versionFor(elrexfio, date).version).toBe(version);
  });

  it.each([
    [{ authoredOn: '2025-12-21T23:30:00-05:00' }, '2025-12-21'],
    [{ authoredOn: '2025-12-21' }, '2025-12-21'],
    // A partial or unreadable authoredOn is no date: the evaluation date is used.
    [{ authoredOn: '2025-12' }, '2026-06-15'],
    [{ authoredOn: 20251221 }, '2026-06-15'],
    [{}, '2026-06-15'],
  ])('an order %j is for %s', (order, date) => {
    expect(orderDate(order, new Date('2026-06-15T12:00:00Z'))).toBe(date);
  });
});

describe('the version in force on the order date is evaluated and cited', () => {
  const { app, url } = testApp();
  const signed = (authoredOn?: string) => {
    const body: any = clone(scenario(ELREXFIO).request);
    const order = body.context.draftOrders.entry[0].resource;
    if (authoredOn) order.authoredOn = authoredOn;
    else delete order.authoredOn;
    body.prefetch.coverage = coveragePrefetch(body.context.patientId);
    return body;
  };
  const assertion = (res: request.Response) =>
    res.body.systemActions[0].resource.extension
      .find((x: any) => x.url.endsWith('/ext-coverage-information'))
      .extension.find((e: any) => e.url === 'coverage-assertion-id').valueString;

  it('an order authored 2025-06-01 is judged on the 2024-11-15 version; one authored 2026-01-05 on 2025-11-14', async () => {
    const old = await request(app).post(url).send(signed('2025-06-01T09:00:00Z')).expect(200);
    const now = await request(app).post(url).send(signed('2026-01-05T09:00:00Z')).expect(200);
    const card = (res: request.Response) => res.body.cards[0];
    expect(card(old).extension['prior-auth-criteria']).toMatchObject({
      policy: 'CC-0248',
      policyVersion: '2024-11-15',
      effectiveFrom: '2024-12-23',
      outcome: 'criteria-met',
    });
    expect(card(now).extension['prior-auth-criteria']).toMatchObject({
      policyVersion: '2025-11-14',
      effectiveFrom: '2025-12-22',
      outcome: 'criteria-met',
    });
    expect(card(old).source.url).toMatch(/\/policies\/CC-0248\/versions\/2024-11-15$/);
    expect(card(now).source.url).toMatch(/\/policies\/CC-0248\/versions\/2025-11-14$/);
    // The card names the document of the version it applied.
    expect(card(old).source.label).toContain('2024-12-23');
    expect(card(now).source.label).toContain('2025-12-22');
    // The same decision on another version is another assertion.
    expect(assertion(old)).not.toBe(assertion(now));
  });

  it('an order without authoredOn is judged on the version in force on the evaluation date', async () => {
    const res = await request(app).post(url).send(signed()).expect(200);
    expect(res.body.cards[0].extension['prior-auth-criteria'].policyVersion).toBe('2025-11-14');
  });

  it('serves a page per version listing every version with its period, and the document only for a version whose text is on file', async () => {
    const page = await request(app).get('/policies/CC-0248').expect(200);
    expect(page.text).toContain('Version 2024-11-15: in force for orders dated up to 2025-12-21');
    expect(page.text).toContain(
      'Version 2025-11-14: in force for orders dated 2025-12-22 or later',
    );
    expect(page.text).toContain('/policies/CC-0248/versions/2025-11-14/document');
    const old = await request(app).get('/policies/CC-0248/versions/2024-11-15').expect(200);
    expect(old.text).toContain('published 2024-12-23');
    expect(old.text).toContain('Its text is not on file');
    const doc = await request(app)
      .get('/policies/CC-0248/versions/2024-11-15/document')
      .expect(404);
    expect(doc.headers['content-type']).toMatch(/json/);
    expect(doc.text).toMatch(/version 2024-11-15 ships no document text/);
    await request(app).get('/policies/CC-0248/versions/2025-11-14/document').expect(200);
    const none = await request(app).get('/policies/CC-0248/versions/1999-01-01').expect(404);
    expect(none.text).toMatch(/has no version 1999-01-01/);
    const only = await request(app).get('/policies/CC-0126').expect(200);
    expect(only.text).toContain('on any day (the only version on file)');
  });
});

describe('adding a version is content only, and checked', () => {
  function cardsCopy(): string {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'pa-versions-'));
    fs.cpSync(DEFAULT_CONTENT.cardsDir, path.join(root, 'cards'), { recursive: true });
    return path.join(root, 'cards');
  }
  const load = (cards: string) => loadContent({ ...DEFAULT_CONTENT, cardsDir: cards });
  const write = (cards: string, file: string, json: unknown) =>
    fs.writeFileSync(path.join(cards, file), JSON.stringify(json));

  it('a file that extends a policy and restates its document is a new version in force from its date', () => {
    const cards = cardsCopy();
    write(cards, 'CC-0126@2026-02-20.json', {
      extends: 'CC-0126.json',
      document: {
        number: 'CC-0126',
        title: 'Blincyto',
        published: '2026-04-01',
        lastReviewed: '2026-02-20',
      },
    });
    const blincyto = load(cards).policies.find((p) => p.definition.id === 'CC-0126')!;
    expect(blincyto.versions.map((v) => v.version)).toEqual(['2025-02-21', '2026-02-20']);
    expect(versionFor(blincyto, '2026-03-31').version).toBe('2025-02-21');
    expect(versionFor(blincyto, '2026-04-01').version).toBe('2026-02-20');
    // What it did not restate is the policy's own.
    expect(blincyto.definition.criteria).toEqual(blincyto.versions[0]!.definition.criteria);
  });

  it.each([
    [
      'two versions in force from the same day',
      {
        extends: 'CC-0126.json',
        document: { number: 'CC-0126', title: 'B', published: '2025-04-01', version: 'x' },
      },
      /CC-0126@bad\.json: policy CC-0126: CC-0126\.json is in force from the same day \(2025-04-01\)/,
    ],
    [
      'two versions with one name',
      {
        extends: 'CC-0126.json',
        document: {
          number: 'CC-0126',
          title: 'B',
          published: '2026-04-01',
          lastReviewed: '2025-02-21',
        },
      },
      /two versions named 2025-02-21/,
    ],
    [
      'an effective date that is not a date',
      {
        extends: 'CC-0126.json',
        document: { number: 'CC-0126', title: 'B', published: 'April 2026' },
      },
      /field "published" must be a date \(YYYY-MM-DD\)/,
    ],
    [
      'a version file that restates the id',
      { extends: 'CC-0126.json', id: 'CC-0126' },
      /field "id": a version file takes the id of the file it extends/,
    ],
    [
      'extends naming a path outside the folder',
      { extends: '../CC-0126.json' },
      /field "extends" must name a policy file in the same folder/,
    ],
    [
      'extends naming another version file',
      { extends: 'CC-0248@2024-11-15.json' },
      /must be a policy definition that extends none/,
    ],
  ])('refuses %s, naming the file', (_what, json, message) => {
    const cards = cardsCopy();
    write(cards, 'CC-0126@bad.json', json);
    expect(() => load(cards)).toThrow(ContentError);
    expect(() => load(cards)).toThrow(message);
  });
});
