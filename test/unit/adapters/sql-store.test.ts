import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openPglite, openPostgres, type SqlDb } from '../../../src/adapters/sql/db';
import { SqlDecisionLog } from '../../../src/adapters/sql/decision-log';
import { SqlFeedbackStore } from '../../../src/adapters/sql/feedback-store';
import { migrate, MIGRATIONS } from '../../../src/adapters/sql/migrations';
import { SqlReports } from '../../../src/adapters/sql/reports';
import { SqlRateStore, SqlReplayCache } from '../../../src/adapters/sql/security-state';
import type { FeedbackRecord } from '../../../src/cds/types';
import type { Decision } from '../../../src/ports';
import { freshDatabase, startPostgres, type PostgresServer } from '../../postgres';

/**
 * The state stores on both databases the service runs on: embedded PostgreSQL (PGlite, file
 * backed) and a real PostgreSQL server (Debian's, started for the tests on a loopback port).
 */
jest.setTimeout(60_000);

let server: PostgresServer;
beforeAll(async () => {
  server = await startPostgres();
});
afterAll(async () => {
  await server?.stop();
});

const decision = (n: number, extra: Partial<Decision> = {}): Decision => ({
  card: `card-${n}`,
  service: 'prior-auth-criteria',
  policy: 'CC-0248',
  outcome: 'documentation-needed',
  hookInstance: `hook-${n}`,
  decidedAt: new Date(Date.UTC(2026, 11, 7, 12, 0, n)).toISOString(),
  overrideReasons: ['r1', 'r2'],
  ...extra,
});

const kinds: [string, () => Promise<SqlDb>][] = [
  ['PGlite (file-backed)', () => openPglite(fs.mkdtempSync(path.join(os.tmpdir(), 'pa-pglite-')))],
  [
    'a PostgreSQL server',
    async () =>
      openPostgres(await freshDatabase(server, `t${Date.now()}${Math.floor(Math.random() * 1e6)}`)),
  ],
];

describe.each(kinds)('on %s', (kind, open) => {
  let db: SqlDb;
  beforeAll(async () => {
    db = await open();
  });
  afterAll(async () => {
    await db?.close();
  });

  it('applies the migrations once, and again is a no-op', async () => {
    expect(await migrate(db)).toEqual(MIGRATIONS.map((m) => m.version));
    expect(await migrate(db)).toEqual([]);
    const { rows } = await db.query<{ n: number }>(
      'select count(*)::int as n from schema_migrations',
    );
    expect(rows[0]!.n).toBe(MIGRATIONS.length);
  });

  it('commits a transaction whole, rolls it back whole on a throw, and reports SQL errors with their code', async () => {
    await db.query('create table tx_probe (n int primary key)');
    const out = await db.transaction(async (tx) => {
      await tx.query('insert into tx_probe values (1)');
      await tx.query('insert into tx_probe values (2)');
      return 'done';
    });
    expect(out).toBe('done');
    await expect(
      db.transaction(async (tx) => {
        await tx.query('insert into tx_probe values (3)');
        throw new Error('changed my mind');
      }),
    ).rejects.toThrow('changed my mind');
    // A failing statement inside: nothing of the transaction stays, and the error keeps its code.
    const failed = db.transaction(async (tx) => {
      await tx.query('insert into tx_probe values (4)');
      await tx.query('insert into tx_probe values (1)');
    });
    await expect(failed).rejects.toMatchObject({ code: '23505' });
    // Queries outside a transaction wait for it, and see only what it committed.
    const [, seen] = await Promise.all([
      db.transaction(async (tx) => {
        await tx.query('insert into tx_probe values (5)');
        await new Promise((r) => setTimeout(r, 30));
        await tx.query('insert into tx_probe values (6)');
      }),
      db.query<{ n: number }>('select n from tx_probe order by n'),
    ]);
    // PGlite has one connection: the query waits for the transaction and sees all of it. A
    // server answers from another connection with what was committed when it ran: all of the
    // transaction or none of it, never a part.
    const n = seen.rows.map((r) => r.n);
    if (kind.startsWith('PGlite')) expect(n).toEqual([1, 2, 5, 6]);
    else
      expect([
        [1, 2],
        [1, 2, 5, 6],
      ]).toContainEqual(n);
    const { rows } = await db.query<{ n: number }>('select n from tx_probe order by n');
    expect(rows.map((r) => r.n)).toEqual([1, 2, 5, 6]);
  });

  it('records decisions with every field, finds them by card, and a repeated card once', async () => {
    const log = new SqlDecisionLog(db);
    const full = decision(1, {
      hook: 'order-sign',
      client: 'https://ehr.example.org',
      policyVersion: '2025-11-14',
      criteria: [{ id: 'IV', status: 'unknown', evidence: ['Observation/o1'] }],
      order: 'MedicationRequest/m1',
      patient: 'hmac:ab12',
      coverageAssertionId: 'a-1',
      satisfiedPaId: 'PA-1',
      latencyMs: 12,
      dataSource: 'prefetch',
    });
    await log.record([full, decision(2)]);
    await log.record([decision(2, { outcome: 'criteria-met' })]);
    const found = await log.find(['card-1', 'card-2', 'card-x']);
    expect(found.get('card-1')).toEqual(full);
    expect(found.get('card-2')).toEqual(decision(2));
    expect(found.has('card-x')).toBe(false);
    expect(await log.trail({ coverageAssertionId: 'a-1' })).toEqual([full]);
    expect(await log.trail({ order: 'MedicationRequest/m1' })).toEqual([full]);
    expect(await log.trail({})).toEqual([]);
  });

  it('commits concurrent records together, each call resolving only once committed', async () => {
    const log = new SqlDecisionLog(db);
    await Promise.all(Array.from({ length: 50 }, (_, i) => log.record([decision(100 + i)])));
    const { rows } = await db.query<{ n: number }>(
      "select count(*)::int as n from decisions where card_uuid like 'card-1__'",
    );
    expect(rows[0]!.n).toBe(50);
  });

  it('keeps feedback joined to its decision, once per item even when sent twice', async () => {
    const store = new SqlFeedbackStore(db);
    const item: FeedbackRecord = {
      card: 'card-1',
      outcome: 'overridden',
      outcomeTimestamp: '2026-12-07T12:05:00Z',
      overrideReason: { reason: { code: 'r1', system: 'x', display: 'R1' }, userComment: 'c' },
      receivedAt: '2026-12-07T12:05:01Z',
      service: 'prior-auth-criteria',
      policy: 'CC-0248',
      decisionOutcome: 'documentation-needed',
      hookInstance: 'hook-1',
      decidedAt: decision(1).decidedAt,
      reasonOffered: true,
    };
    await store.append([item]);
    await store.append([item]);
    await store.append([
      { ...item, outcome: 'accepted', outcomeTimestamp: '2026-12-07T12:06:00Z' },
    ]);
    const all = await store.readAll();
    expect(all).toHaveLength(2);
    expect(all[0]).toEqual(item);
  });

  it('claims a jti once, and forgets it after it expires', async () => {
    const cache = new SqlReplayCache(db);
    const future = Date.now() + 60_000;
    expect(await cache.claim('iss|jti-1', future)).toBe(true);
    expect(await cache.claim('iss|jti-1', future)).toBe(false);
    expect(await new SqlReplayCache(db).claim('iss|jti-1', future)).toBe(false);
    await cache.claim('iss|old', Date.now() - 1000);
    await new SqlReplayCache(db).claim('iss|sweep', future);
    const { rows } = await db.query("select key from replay_jti where key = 'iss|old'");
    expect(rows).toEqual([]);
  });

  it('reports per policy and period, and the trail of an order with its feedback', async () => {
    const log = new SqlDecisionLog(db);
    const at = (min: number) => new Date(Date.UTC(2026, 10, 2, 9, min)).toISOString();
    await log.record([
      decision(201, {
        policy: 'CC-0126',
        outcome: 'criteria-met',
        decidedAt: at(1),
        latencyMs: 40,
        order: 'MedicationRequest/r1',
        coverageAssertionId: 'ca-9',
      }),
      decision(202, {
        policy: 'CC-0126',
        outcome: 'documentation-needed',
        decidedAt: at(2),
        latencyMs: 6000,
        order: 'MedicationRequest/r1',
      }),
      decision(203, {
        policy: 'CC-0126',
        outcome: 'criteria-not-met',
        decidedAt: at(3),
        latencyMs: 30,
      }),
    ]);
    const feedback = new SqlFeedbackStore(db);
    const base = {
      receivedAt: at(5),
      service: 'prior-auth-criteria',
      policy: 'CC-0126',
      decisionOutcome: null,
      hookInstance: null,
      decidedAt: null,
      reasonOffered: true,
    };
    await feedback.append([
      {
        ...base,
        card: 'card-202',
        outcome: 'overridden',
        outcomeTimestamp: at(4),
        overrideReason: { reason: { code: 'documented-elsewhere' } },
      },
      {
        ...base,
        card: 'card-203',
        outcome: 'overridden',
        outcomeTimestamp: at(4),
        overrideReason: { reason: { code: 'urgent-clinical-need' } },
      },
      // Later feedback on the same card supersedes.
      { ...base, card: 'card-203', outcome: 'accepted', outcomeTimestamp: at(6) },
    ]);
    const reports = new SqlReports(db, log);
    const [row] = await reports.byPolicy(
      new Date(Date.UTC(2026, 10, 2)),
      new Date(Date.UTC(2026, 10, 3)),
    );
    expect(row).toEqual({
      policy: 'CC-0126',
      decisions: 3,
      outcomes: { 'criteria-met': 1, 'criteria-not-met': 1, 'documentation-needed': 1, error: 0 },
      under5s: 2 / 3,
      withFeedback: 2,
      accepted: 1,
      overridden: 1,
      overrideReasons: [{ code: 'documented-elsewhere', count: 1 }],
    });
    expect(
      await reports.byPolicy(new Date(Date.UTC(2026, 10, 3)), new Date(Date.UTC(2026, 10, 4))),
    ).toEqual([]);
    const trail = await reports.trail({ order: 'MedicationRequest/r1' });
    expect(trail.map((d) => [d.card, d.feedback.map((f) => f.outcome)])).toEqual([
      ['card-201', []],
      ['card-202', ['overridden']],
    ]);
    expect((await reports.trail({ coverageAssertionId: 'ca-9' })).map((d) => d.card)).toEqual([
      'card-201',
    ]);
  });

  it('counts requests per key and window across store instances', async () => {
    const a = new SqlRateStore(db);
    const b = new SqlRateStore(db);
    const w = Date.UTC(2026, 11, 7, 12, 0);
    expect(await a.hit('client:x', w)).toBe(1);
    expect(await b.hit('client:x', w)).toBe(2);
    expect(await a.hit('client:y', w)).toBe(1);
    expect(await a.hit('client:x', w + 60_000)).toBe(1);
  });
});

it('PGlite keeps what it committed across a restart (file-backed)', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pa-pglite-'));
  const first = await openPglite(dir);
  await migrate(first);
  await new SqlDecisionLog(first).record([decision(7)]);
  await first.close();
  const again = await openPglite(dir);
  expect(await migrate(again)).toEqual([]);
  // Small shared buffers keep the embedded database's resident memory down.
  expect((await again.query('show shared_buffers')).rows).toEqual([{ shared_buffers: '16MB' }]);
  expect((await new SqlDecisionLog(again).find(['card-7'])).get('card-7')).toEqual(decision(7));
  await again.close();
});

it('PGlite refuses calls, with a clear error, once its thread is gone', async () => {
  const db = await openPglite();
  expect(db.failure?.()).toBeUndefined();
  await db.close();
  await expect(db.query('select 1')).rejects.toThrow(/embedded database thread exited/);
  // Closed on purpose: not a failure (/health stays 200 while the process stops).
  expect(db.failure?.()).toBeUndefined();
});

it('PGlite that cannot open its directory says so at startup', async () => {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'pa-pglite-')), 'a-file');
  fs.writeFileSync(file, 'not a directory');
  await expect(openPglite(path.join(file, 'data'))).rejects.toThrow(/ENOTDIR|not a directory/);
});

it('PGlite on a directory it cannot use (another PostgreSQL version) fails to open, clearly', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pa-pglite-'));
  fs.writeFileSync(path.join(dir, 'PG_VERSION'), '99\n');
  await expect(openPglite(dir)).rejects.toThrow(/^cannot open the embedded database: /);
});
