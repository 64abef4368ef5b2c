import fs from 'node:fs';
import request from 'supertest';
import { FileDecisionLog } from '../../src/adapters/file/decision-log';
import { FileFeedbackStore } from '../../src/adapters/file/feedback-store';
import type { DecisionLog } from '../../src/ports';
import { openPglite, type SqlDb } from '../../src/adapters/sql/db';
import { SqlDecisionLog } from '../../src/adapters/sql/decision-log';
import { migrate } from '../../src/adapters/sql/migrations';
import { coveragePrefetch } from '../support';
import { example, NOW, scenario, testApp } from './helpers';

const ELREXFIO = example('myelomaMet');
/** A warning card: it offers override reasons. */
const ELREXFIO_NOT_MET = example('myelomaNotMet');
const BLINCYTO = example('allMet');

/** Signs a real order; returns its card (the first) and the request sent. */
async function sign(app: ReturnType<typeof testApp>['app'], url: string, file: string) {
  const s = scenario(file);
  const res = await request(app).post(url).send(s.request).expect(200);
  expect(res.body.cards.length).toBeGreaterThan(0);
  return { card: res.body.cards[0], request: s.request, expected: s.expected };
}

const lines = (file: string) =>
  fs.existsSync(file)
    ? fs
        .readFileSync(file, 'utf8')
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l))
    : [];

/** The decision is written after the answer is sent: waits (up to 2 s) for its line in the file. */
async function recorded(decisionFile: string, card: string): Promise<void> {
  for (let waited = 0; waited < 2000; waited += 10) {
    if (lines(decisionFile).some((d) => d.card === card)) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`no decision recorded for card ${card} in ${decisionFile}`);
}

const offeredCodes = (card: any): string[] =>
  Array.isArray(card.overrideReasons) ? card.overrideReasons.map((c: any) => c.code) : [];

describe('decisions recorded for returned cards', () => {
  const { app, url, decisionFile } = testApp();

  it('records one decision per card: uuid, service, policy, outcome, hookInstance, time, offered reasons; no patient data', async () => {
    const { card, request: req, expected } = await sign(app, url, ELREXFIO);
    const ext = card.extension['prior-auth-criteria'];
    await recorded(decisionFile, card.uuid);
    const found = await new FileDecisionLog(decisionFile).find([card.uuid]);
    expect(found.get(card.uuid)).toEqual({
      card: card.uuid,
      service: 'prior-auth-criteria',
      policy: expected.policy,
      outcome: ext.outcome,
      hookInstance: req.hookInstance,
      decidedAt: NOW.toISOString(),
      overrideReasons: offeredCodes(card),
    });
    const warning = await sign(app, url, ELREXFIO_NOT_MET);
    expect(offeredCodes(warning.card).length).toBeGreaterThan(0);
    await recorded(decisionFile, warning.card.uuid);
    expect(
      (await new FileDecisionLog(decisionFile).find([warning.card.uuid])).get(warning.card.uuid),
    ).toMatchObject({
      outcome: 'criteria-not-met',
      overrideReasons: offeredCodes(warning.card),
    });
    const text = fs.readFileSync(decisionFile, 'utf8');
    expect(text).not.toContain(req.context.patientId);
    // PATIENT_REFERENCES none (the default without a key): no patient field, and the patient
    // cited as evidence only by type.
    expect(text).not.toMatch(/"patient":|"name"|userComment/i);
    expect(text).toContain('"evidence":["Patient"]');
  });
});

describe("the coverage ids on record are those of the order's own annotation", () => {
  // The database store keeps every field of a decision (the files keep the feedback join's).
  let db: SqlDb;
  let log: SqlDecisionLog;
  beforeAll(async () => {
    db = await openPglite();
    await migrate(db);
    log = new SqlDecisionLog(db);
  });
  afterAll(() => db.close());
  const CI = 'http://hl7.org/fhir/us/davinci-crd/StructureDefinition/ext-coverage-information';

  it('records per card the assertion id and the satisfied-pa-id its order was annotated with', async () => {
    // Two orders signed together (the second a copy with its own id): each decision carries
    // its own order's ids.
    const elrexfio: any = scenario(ELREXFIO).request;
    const other = elrexfio.context.draftOrders.entry.map((e: any) => ({
      ...e,
      resource: { ...e.resource, id: 'second-order' },
    }));
    const body = {
      ...elrexfio,
      context: {
        ...elrexfio.context,
        draftOrders: {
          ...elrexfio.context.draftOrders,
          entry: [...elrexfio.context.draftOrders.entry, ...other],
        },
      },
      prefetch: { ...elrexfio.prefetch, coverage: coveragePrefetch(elrexfio.context.patientId) },
    };
    const { app, url } = testApp({ realtimeDetermination: true }, { decisions: log });
    const res = await request(app).post(url).send(body).expect(200);
    const annotated = new Map<string, { assertion?: string; satisfied?: string }>();
    for (const action of res.body.systemActions) {
      const ext = action.resource.extension.find((e: any) => e.url === CI);
      const value = (u: string) => ext.extension.find((e: any) => e.url === u)?.valueString;
      annotated.set(`MedicationRequest/${action.resource.id}`, {
        assertion: value('coverage-assertion-id'),
        satisfied: value('satisfied-pa-id'),
      });
    }
    expect(annotated.size).toBe(2);
    expect(res.body.cards.length).toBe(2);
    // The answer is sent once its decisions are committed.
    const found = await log.find(res.body.cards.map((c: any) => c.uuid));
    expect(found.size).toBe(2);
    const orders = new Set<string>();
    for (const d of found.values()) {
      const ids = annotated.get(d.order as string);
      expect(ids?.assertion).toBeDefined();
      expect(d.coverageAssertionId).toBe(ids?.assertion);
      // A met order carries a satisfied-pa-id (REALTIME_DETERMINATION on); any other none.
      expect(d.satisfiedPaId).toBe(ids?.satisfied);
      if (d.outcome === 'criteria-met') expect(d.satisfiedPaId).toMatch(/\S/);
      orders.add(d.order as string);
    }
    expect(orders.size).toBe(2);
  });
});

describe('feedback joined to the decision behind the card', () => {
  const { app, url, feedbackFile, decisionFile } = testApp();

  it('stores policy, decision outcome, hookInstance and whether the reason was offered, per item', async () => {
    const elrexfio = await sign(app, url, ELREXFIO_NOT_MET);
    const blincyto = await sign(app, url, BLINCYTO);
    const code = offeredCodes(elrexfio.card)[0];
    await request(app)
      .post(`${url}/feedback`)
      .send({
        feedback: [
          {
            card: elrexfio.card.uuid,
            outcome: 'overridden',
            overrideReason: {
              reason: { system: 'http://example.org/reasons', code, display: 'A reason' },
              userComment: 'seen in clinic',
            },
            outcomeTimestamp: '2026-06-15T12:01:00Z',
          },
          {
            card: blincyto.card.uuid,
            outcome: 'accepted',
            outcomeTimestamp: '2026-06-15T12:02:00Z',
          },
        ],
      })
      .expect(200);
    const stored = await new FileFeedbackStore(feedbackFile).readAll();
    expect(stored).toEqual([
      {
        receivedAt: NOW.toISOString(),
        service: 'prior-auth-criteria',
        card: elrexfio.card.uuid,
        outcome: 'overridden',
        outcomeTimestamp: '2026-06-15T12:01:00Z',
        overrideReason: {
          reason: { system: 'http://example.org/reasons', code, display: 'A reason' },
          userComment: 'seen in clinic',
        },
        policy: elrexfio.expected.policy,
        decisionOutcome: elrexfio.card.extension['prior-auth-criteria'].outcome,
        hookInstance: elrexfio.request.hookInstance,
        decidedAt: NOW.toISOString(),
        reasonOffered: true,
      },
      {
        receivedAt: NOW.toISOString(),
        service: 'prior-auth-criteria',
        card: blincyto.card.uuid,
        outcome: 'accepted',
        outcomeTimestamp: '2026-06-15T12:02:00Z',
        policy: blincyto.expected.policy,
        decisionOutcome: blincyto.card.extension['prior-auth-criteria'].outcome,
        hookInstance: blincyto.request.hookInstance,
        decidedAt: NOW.toISOString(),
        reasonOffered: null,
      },
    ]);
    expect(elrexfio.expected.policy).not.toBe(blincyto.expected.policy);
    expect(lines(decisionFile).map((d) => d.card)).toEqual([
      elrexfio.card.uuid,
      blincyto.card.uuid,
    ]);
  });

  it('says a reason code the card did not offer was not offered', async () => {
    const { card } = await sign(app, url, ELREXFIO_NOT_MET);
    await request(app)
      .post(`${url}/feedback`)
      .send({
        feedback: [
          {
            card: card.uuid,
            outcome: 'overridden',
            overrideReason: { reason: { code: 'never-offered-code' } },
            outcomeTimestamp: '2026-06-15T12:03:00Z',
          },
        ],
      })
      .expect(200);
    const last = lines(feedbackFile).at(-1);
    expect(last).toMatchObject({ card: card.uuid, reasonOffered: false, policy: 'CC-0248' });
  });

  it('stores feedback on an unknown card with nulls, never dropping it', async () => {
    const unknown = '0c2c4f1e-0000-4000-8000-000000000000';
    await request(app)
      .post(`${url}/feedback`)
      .send({
        feedback: [
          {
            card: unknown,
            outcome: 'overridden',
            overrideReason: { reason: { code: 'documented-elsewhere' } },
            outcomeTimestamp: '2026-06-15T12:04:00Z',
          },
        ],
      })
      .expect(200);
    expect(lines(feedbackFile).at(-1)).toEqual({
      receivedAt: NOW.toISOString(),
      service: 'prior-auth-criteria',
      card: unknown,
      outcome: 'overridden',
      outcomeTimestamp: '2026-06-15T12:04:00Z',
      overrideReason: { reason: { code: 'documented-elsewhere' } },
      policy: null,
      decisionOutcome: null,
      hookInstance: null,
      decidedAt: null,
      reasonOffered: null,
    });
  });

  it('still answers 400 for a bad body, storing nothing', async () => {
    const before = lines(feedbackFile).length;
    const res = await request(app)
      .post(`${url}/feedback`)
      .send({
        feedback: [{ card: 'x', outcome: 'maybe', outcomeTimestamp: '2026-06-15T12:00:00Z' }],
      })
      .expect(400);
    expect(res.body.issue[0].diagnostics).toMatch(/outcome must be "accepted" or "overridden"/);
    expect(lines(feedbackFile)).toHaveLength(before);
  });
});

describe('after a restart', () => {
  it('a new service on the same decision log joins feedback to cards returned before', async () => {
    const before = testApp();
    const { card, expected, request: req } = await sign(before.app, before.url, ELREXFIO);
    await recorded(before.decisionFile, card.uuid);
    const after = testApp({}, { decisions: new FileDecisionLog(before.decisionFile) });
    await request(after.app)
      .post(`${after.url}/feedback`)
      .send({
        feedback: [
          { card: card.uuid, outcome: 'accepted', outcomeTimestamp: '2026-06-15T13:00:00Z' },
        ],
      })
      .expect(200);
    expect(lines(after.feedbackFile)).toEqual([
      expect.objectContaining({
        card: card.uuid,
        outcome: 'accepted',
        policy: expected.policy,
        decisionOutcome: card.extension['prior-auth-criteria'].outcome,
        hookInstance: req.hookInstance,
      }),
    ]);
  });
});

describe('a failing decision log', () => {
  const failing = (how: 'reject' | 'throw'): DecisionLog => ({
    record: () => {
      if (how === 'throw') throw new Error('decision store down');
      return Promise.reject(new Error('disk full'));
    },
    find: () => Promise.reject(new Error('decision store down')),
    flush: () => Promise.resolve(),
  });

  it.each(['reject', 'throw'] as const)(
    'withholds the answer by default (record: %s): 503, retry shortly, the failure logged without patient data',
    async (how) => {
      const { app, url, logs } = testApp({}, { decisions: failing(how) });
      const s = scenario(ELREXFIO);
      const res = await request(app).post(url).send(s.request).expect(503);
      expect(res.headers['retry-after']).toBe('1');
      expect(res.body).toMatchObject({
        resourceType: 'OperationOutcome',
        issue: [
          {
            code: 'transient',
            diagnostics: expect.stringMatching(/could not be recorded, so it is not given/),
          },
        ],
      });
      // No card of the unrecorded decision leaks out.
      expect(JSON.stringify(res.body)).not.toContain('prior-auth-criteria');
      const failure = logs.map((l) => JSON.parse(l)).find((l) => l.event === 'decision-log-failed');
      expect(failure).toMatchObject({
        level: 'error',
        hookInstance: s.request.hookInstance,
        answer: 'withheld (503)',
      });
      expect(logs.join('\n')).not.toContain(s.request.context.patientId);
    },
  );

  it.each(['reject', 'throw'] as const)(
    'with DECISIONS_REQUIRED=off does not hold the cards (record: %s), logs the failure without patient data',
    async (how) => {
      const { app, url, logs } = testApp({ decisionsRequired: false }, { decisions: failing(how) });
      const { card, request: req } = await sign(app, url, ELREXFIO);
      expect(card.extension['prior-auth-criteria'].outcome).toBe('criteria-met');
      await new Promise((r) => setImmediate(r));
      const failure = logs.map((l) => JSON.parse(l)).find((l) => l.event === 'decision-log-failed');
      expect(failure).toMatchObject({
        level: 'error',
        hookInstance: req.hookInstance,
        cards: 1,
        error: how === 'throw' ? 'decision store down' : 'disk full',
        answer: 'sent',
      });
      expect(logs.join('\n')).not.toContain(req.context.patientId);
    },
  );

  it('still stores feedback when the lookup fails (as for an unknown card)', async () => {
    const { app, url, feedbackFile, logs } = testApp({}, { decisions: failing('reject') });
    await request(app)
      .post(`${url}/feedback`)
      .send({
        feedback: [{ card: 'c-1', outcome: 'accepted', outcomeTimestamp: '2026-06-15T12:00:00Z' }],
      })
      .expect(200);
    expect(lines(feedbackFile)).toEqual([
      expect.objectContaining({ card: 'c-1', policy: null, reasonOffered: null }),
    ]);
    expect(logs.some((l) => JSON.parse(l).event === 'decision-lookup-failed')).toBe(true);
  });

  it('keeps the patient as a keyed hash when PATIENT_REFERENCES=hash, in the evidence too', async () => {
    const hashed = testApp({ patientReferences: { mode: 'hash', hashKey: 'k'.repeat(24) } });
    const { card, request: req } = await sign(hashed.app, hashed.url, ELREXFIO);
    await recorded(hashed.decisionFile, card.uuid);
    const line = JSON.parse(fs.readFileSync(hashed.decisionFile, 'utf8').trim().split('\n')[0]!);
    expect(line.patient).toMatch(/^hmac-sha256:[0-9a-f]{64}$/);
    expect(line.criteria.find((c: any) => c.id === 'I').evidence).toEqual([line.patient]);
    expect(JSON.stringify(line)).not.toContain(req.context.patientId);
  });
});
