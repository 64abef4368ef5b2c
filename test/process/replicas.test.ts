import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { exportJWK, generateKeyPair, SignJWT, type KeyLike } from 'jose';
import { Client } from 'pg';
import { readScenario } from '../../tools/scenarios';
import { freshDatabase, startPostgres, type PostgresServer } from '../postgres';
import { example, PATIENTS } from '../support';

/**
 * Two service processes on one PostgreSQL database, as replicas behind a load balancer: a token's
 * jti used at one is refused at the other, the rate limit is one limit, feedback sent to both
 * lands once each; and a replica killed (SIGKILL) under load loses no answered decision.
 */
jest.setTimeout(180_000);

const ROOT = path.resolve(__dirname, '..', '..');
/**
 * tsx as a require hook in the service's own process: its pid is the server's, so a signal sent
 * to the child reaches the service itself (tsx's CLI would be a wrapper process around it).
 */
const TSX = ['--require', 'tsx/cjs'];
const ISS = 'https://ehr.example.org';
/** Both replicas are reached through one public URL (the load balancer): the token's audience. */
const PUBLIC = 'https://pa.example.org';
const SERVICE = 'prior-auth-criteria';

let pg: PostgresServer;
let jwks: http.Server;
let privateKey: KeyLike;
let jwksUrl: string;

beforeAll(async () => {
  pg = await startPostgres();
  const pair = await generateKeyPair('ES384', { extractable: true });
  privateKey = pair.privateKey;
  const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'ES384', use: 'sig' };
  jwks = http.createServer((_req, res) => {
    res.setHeader('Content-Type', 'application/json');
    res.end(JSON.stringify({ keys: [jwk] }));
  });
  await new Promise<void>((r) => jwks.listen(0, '127.0.0.1', () => r()));
  jwksUrl = `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/jwks.json`;
});
afterAll(async () => {
  await new Promise((r) => jwks?.close(r));
  await pg?.stop();
});

async function token(jti: string, audience = `${PUBLIC}/cds-services/${SERVICE}`): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ iss: ISS, aud: audience, iat: now, exp: now + 120, jti })
    .setProtectedHeader({ alg: 'ES384', kid: 'k1', typ: 'JWT' })
    .sign(privateKey);
}

interface Replica {
  child: ChildProcess;
  url: string;
}

/** The service alone (src/main.ts, as the image runs it) on the database. */
function replica(databaseUrl: string, env: Record<string, string> = {}): Promise<Replica> {
  const child = spawn(process.execPath, [...TSX, 'src/main.ts'], {
    cwd: ROOT,
    env: {
      ...process.env,
      PORT: '0',
      HOST: '127.0.0.1',
      DATABASE_URL: databaseUrl,
      AUTH: 'on',
      CDS_CLIENTS: JSON.stringify([{ iss: ISS, jwksUrl, ratePerMinute: 6 }]),
      PUBLIC_BASE_URL: PUBLIC,
      EVALUATION_WORKERS: '0',
      LOG_LEVEL: 'info',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no listening line:\n${out}`)), 60_000);
    const onData = (d: Buffer) => {
      out += d.toString();
      const m = /"url":"(http:\/\/[^"]+)\/cds-services"/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, url: m[1]! });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`exited ${code}:\n${out}`));
    });
  });
}

const LOG_LEVEL_INFO = { LOG_LEVEL: 'info' };

async function stop(r: Replica): Promise<void> {
  if (r.child.exitCode !== null || r.child.signalCode !== null) return;
  await new Promise((res) => {
    r.child.once('exit', res);
    r.child.kill('SIGTERM');
  });
}

const body = () => readScenario(path.join(PATIENTS, example('myelomaMet')), new Date()).request;

async function call(r: Replica, auth: string, payload: unknown = body()) {
  const res = await fetch(`${r.url}/cds-services/${SERVICE}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${auth}` },
    body: JSON.stringify(payload),
  });
  return { status: res.status, body: (await res.json()) as any };
}

async function rows<T>(url: string, sql: string, params: unknown[] = []): Promise<T[]> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query(sql, params)).rows as T[];
  } finally {
    await c.end();
  }
}

describe('two replicas on one database', () => {
  let url: string;
  let a: Replica;
  let b: Replica;
  beforeAll(async () => {
    url = await freshDatabase(pg, 'replicas');
    // Started together: the migrations are applied once (an advisory lock), not twice.
    [a, b] = await Promise.all([replica(url, LOG_LEVEL_INFO), replica(url)]);
  });
  afterAll(async () => {
    await Promise.all([a && stop(a), b && stop(b)]);
  });

  it('applied the migrations once', async () => {
    const applied = await rows<{ version: number }>(url, 'select version from schema_migrations');
    expect(applied.map((r) => r.version)).toEqual([1]);
  });

  it('refuses at one replica a token whose jti was used at the other', async () => {
    const t = await token('jti-shared-1');
    expect((await call(a, t)).status).toBe(200);
    expect((await call(b, t)).status).toBe(401);
    expect((await call(a, t)).status).toBe(401);
  });

  it('holds one rate limit for the client across replicas, and records every answered decision', async () => {
    // The client may make 6 calls a minute. In a fresh minute, 8 calls alternating between the
    // replicas (4 each, under 6 at either) see 429s only if the count is shared.
    await new Promise((r) => setTimeout(r, 60_000 - (Date.now() % 60_000) + 200));
    const statuses: number[] = [];
    const cards: string[] = [];
    for (let i = 0; i < 8; i++) {
      const r = await call(i % 2 === 0 ? a : b, await token(`jti-rate-${i}`));
      statuses.push(r.status);
      if (r.status === 200) cards.push(...r.body.cards.map((c: any) => c.uuid));
    }
    expect(statuses.filter((s) => s === 200)).toHaveLength(6);
    expect(statuses.filter((s) => s === 429)).toHaveLength(2);
    const recorded = await rows<{ card_uuid: string; client: string; policy_version: string }>(
      url,
      'select card_uuid, client, policy_version from decisions where card_uuid = any($1)',
      [cards],
    );
    expect(recorded.map((r) => r.card_uuid).sort()).toEqual([...cards].sort());
    for (const r of recorded)
      expect(r).toMatchObject({ client: ISS, policy_version: '2025-11-14' });
  });

  it('keeps feedback sent to both replicas once each, joined to its decision', async () => {
    // A new minute's allowance is not needed: feedback calls share the client's limit too, so
    // wait for the next minute window.
    const wait = 60_000 - (Date.now() % 60_000) + 200;
    await new Promise((r) => setTimeout(r, wait));
    const answered = await call(a, await token('jti-fb-0'));
    expect(answered.status).toBe(200);
    const card = answered.body.cards[0].uuid;
    const item = {
      feedback: [{ card, outcome: 'accepted', outcomeTimestamp: new Date().toISOString() }],
    };
    for (const [r, jti] of [
      [a, 'jti-fb-1'],
      [b, 'jti-fb-2'],
    ] as const) {
      const res = await fetch(`${r.url}/cds-services/${SERVICE}/feedback`, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          Authorization: `Bearer ${await token(jti, `${PUBLIC}/cds-services/${SERVICE}/feedback`)}`,
        },
        body: JSON.stringify(item),
      });
      expect(res.status).toBe(200);
    }
    const stored = await rows<{ record: any }>(
      url,
      'select record from feedback where card_uuid = $1',
      [card],
    );
    expect(stored).toHaveLength(1);
    expect(stored[0]!.record).toMatchObject({
      card,
      policy: 'CC-0248',
      decisionOutcome: 'criteria-met',
    });
  });
});

it('a replica killed with SIGKILL under load loses no answered decision', async () => {
  const url = await freshDatabase(pg, 'killed');
  const r = await replica(url, { AUTH: 'off', RATE_LIMIT_PER_MINUTE: '0', MAX_QUEUE: '200' });
  const answered: string[] = [];
  let sent = 0;
  const one = async () => {
    sent++;
    try {
      const res = await fetch(`${r.url}/cds-services/${SERVICE}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(body()),
      });
      if (res.status === 200) {
        const json = (await res.json()) as any;
        answered.push(...json.cards.map((c: any) => c.uuid));
      }
    } catch {
      // The connection died with the process: not answered.
    }
  };
  // 200 requests, 16 at a time; the process is killed once about half are answered.
  const workers = Array.from({ length: 16 }, async () => {
    while (sent < 200) await one();
  });
  while (answered.length < 100 && r.child.exitCode === null)
    await new Promise((res) => setTimeout(res, 5));
  // Still running when killed (else the test fails on the signal, not on a timeout).
  const killed =
    r.child.exitCode === null && r.child.signalCode === null
      ? new Promise((res) => r.child.once('exit', (_code, signal) => res(signal)))
      : Promise.resolve(`exited early (${r.child.exitCode})`);
  r.child.kill('SIGKILL');
  await Promise.all(workers);
  // The service itself died (not a wrapper around it): the requests in flight and after went
  // unanswered.
  expect(await killed).toBe('SIGKILL');
  expect(answered.length).toBeGreaterThanOrEqual(100);
  expect(answered.length).toBeLessThan(200);
  const recorded = await rows<{ card_uuid: string }>(
    url,
    'select card_uuid from decisions where card_uuid = any($1)',
    [answered],
  );
  expect(recorded.length).toBe(answered.length);
});
