import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { clone, example, scenario, testApp, testConfig } from './helpers';

/**
 * A bounded local load test: many concurrent order-sign requests through a small evaluation pool;
 * every request gets exactly one answer, the right one for its patient, and one log line.
 */
const FILES = (
  [
    'myelomaMet',
    'myelomaNotMet',
    'myelomaStaleEcog',
    'allMet',
    'allNotMetDlbcl',
    'allUnknownCd19',
  ] as const
).map(example);
const REQUESTS = 90;

const { app, url, logs } = testApp({
  limits: { ...testConfig().limits, maxConcurrent: 4, maxQueue: REQUESTS },
});
let server: Server;
let base: string;

beforeAll(async () => {
  server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise((r) => server.close(r)));

it(`answers ${REQUESTS} concurrent requests once each, correctly`, async () => {
  const jobs = Array.from({ length: REQUESTS }, (_, i) => {
    const file = FILES[i % FILES.length] as string;
    const s = scenario(file);
    const body: any = clone(s.request);
    body.hookInstance = `load-${i}`;
    return { i, expected: s.expected, body };
  });
  const answers = await Promise.all(
    jobs.map(async (j) => {
      const res = await fetch(`${base}${url}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(j.body),
      });
      return { j, status: res.status, body: (await res.json()) as any };
    }),
  );
  expect(answers).toHaveLength(REQUESTS);
  for (const a of answers) {
    expect(a.status).toBe(200);
    const ext = a.body.cards
      .map((c: any) => c.extension['prior-auth-criteria'])
      .find((e: any) => e.policy === a.j.expected.policy);
    expect(ext.outcome).toBe(a.j.expected.outcome);
  }
  const lines = logs
    .filter((l) => /"event":"order-sign"/.test(l))
    .map((l) => JSON.parse(l).hookInstance as string);
  const load = lines.filter((h) => h.startsWith('load-'));
  expect(load).toHaveLength(REQUESTS);
  expect(new Set(load).size).toBe(REQUESTS);
});
