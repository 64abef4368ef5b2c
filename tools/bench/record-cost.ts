/**
 * What recording a decision costs: `SqlDecisionLog.record` for one decision, sequentially (p50,
 * p90, p99 of 600 calls), and 320 concurrent calls (group commit), per store; and what the shared
 * security state costs per request: a rate-window hit and a jti claim (600 calls each).
 *
 *   npm run bench:record                         embedded PGlite in a temp directory
 *   npm run bench:record -- postgres://…/db      and a PostgreSQL server (a database to write to)
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openPglite, openPostgres, type SqlDb } from '../../src/adapters/sql/db';
import { SqlDecisionLog } from '../../src/adapters/sql/decision-log';
import { migrate } from '../../src/adapters/sql/migrations';
import { SqlRateStore, SqlReplayCache } from '../../src/adapters/sql/security-state';
import type { Decision } from '../../src/ports';

const decision = (card: string): Decision => ({
  card,
  service: 'prior-auth-criteria',
  policy: 'a-policy',
  policyVersion: '2025-11-14',
  outcome: 'criteria-met',
  hook: 'order-sign',
  hookInstance: 'bench',
  decidedAt: new Date().toISOString(),
  overrideReasons: ['already-performed', 'patient-refused'],
  criteria: ['I', 'II', 'III', 'IV'].map((id) => ({
    id,
    status: 'met',
    evidence: [`Observation/${id}`],
  })),
  order: 'MedicationRequest/bench',
  patient: 'hmac-sha256:0000',
  coverageAssertionId: 'bench',
  latencyMs: 9,
  dataSource: 'prefetch',
});

const at = (sorted: number[], q: number) => sorted[Math.floor(q * (sorted.length - 1))]!;
const ms = (v: number) => `${v.toFixed(2)} ms`;

/** p50, p90 and p99 of `n` sequential calls. */
async function timed(n: number, call: (i: number) => Promise<unknown>): Promise<string[]> {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const start = performance.now();
    await call(i);
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  return [ms(at(times, 0.5)), ms(at(times, 0.9)), ms(at(times, 0.99))];
}

async function measure(kind: string, db: SqlDb): Promise<string[]> {
  await migrate(db);
  const log = new SqlDecisionLog(db);
  const run = `${Date.now()}`;
  const record = await timed(600, (i) => log.record([decision(`bench-${run}-${i}`)]));
  const start = performance.now();
  await Promise.all(
    Array.from({ length: 320 }, (_, i) => log.record([decision(`bench-${run}-c${i}`)])),
  );
  const each = (performance.now() - start) / 320;
  const replay = new SqlReplayCache(db);
  const claim = await timed(600, (i) => replay.claim(`bench-${run}-${i}`, Date.now() + 300_000));
  const rows = [
    `| ${kind} | ${record.join(' | ')} | ${each.toFixed(3)} ms per decision |`,
    `| ${kind}: jti claim | ${claim.join(' | ')} | |`,
  ];
  // Rate windows are in the database only on a server (PGlite's stay in the process's memory).
  if (db.kind === 'postgres') {
    const rates = new SqlRateStore(db);
    const window = Math.floor(Date.now() / 60_000) * 60_000;
    const hit = await timed(600, (i) => rates.hit(`bench-${run}-${i % 20}`, window));
    rows.push(`| ${kind}: rate-window hit | ${hit.join(' | ')} | |`);
  }
  await db.close();
  return rows;
}

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pa-record-cost-'));
  const rows = await measure('PGlite, file-backed', await openPglite(dir));
  fs.rmSync(dir, { recursive: true, force: true });
  const url = process.argv[2];
  if (url) rows.push(...(await measure('PostgreSQL server', await openPostgres(url))));
  console.log(
    ['| Store and call | p50 | p90 | p99 | 320 concurrent records |', '|---|---|---|---|---|']
      .concat(rows)
      .join('\n'),
  );
}

main().catch((e: unknown) => {
  console.error(`record-cost: ${(e as Error).message}`);
  process.exit(1);
});
