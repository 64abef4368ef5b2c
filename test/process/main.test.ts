import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readScenario } from '../../tools/scenarios';

/** The real entry point (what `npm start` runs): it starts, serves discovery and answers order-sign. */
const ROOT = path.resolve(__dirname, '..', '..');
const TSX = path.join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs');

/** Starts an entry: demo/main.ts is what `npm start` runs, src/main.ts the service alone (the image). */
function start(env: Record<string, string>, entry = 'demo/main.ts'): Promise<{ child: ChildProcess; url: string; output: () => string }> {
  const child = spawn(process.execPath, [TSX, entry], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no "listening" line:\n${out}`)), 20000);
    const onData = (d: Buffer) => {
      out += d.toString();
      const m = /"url":"(http:\/\/[^"]+)\/cds-services"/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, url: m[1] as string, output: () => out });
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

describe('npm start', () => {
  it('serves discovery and answers an order-sign request; logs carry no patient id', async () => {
    const feedback = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'pa-main-')), 'f.jsonl');
    const { child, url, output } = await start({ PORT: '0', HOST: '127.0.0.1', FEEDBACK_LOG: feedback });
    try {
      const discovery = (await (await fetch(`${url}/cds-services`)).json()) as any;
      expect(discovery.services[0].id).toBe('prior-auth-criteria');
      const s = readScenario(path.join(ROOT, 'test/patients/CC-0126/met-relapsed-cd19-positive.json'), new Date());
      const res = await fetch(`${url}/cds-services/prior-auth-criteria`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(s.request) });
      expect(res.status).toBe(200);
      const body = (await res.json()) as any;
      expect(body.cards[0].extension['prior-auth-criteria']).toMatchObject({ policy: 'CC-0126', outcome: 'criteria-met' });
      await new Promise((r) => setTimeout(r, 100));
      expect(output()).toMatch(/"event":"order-sign"/);
      expect(output()).not.toMatch(/pt-1/);
    } finally {
      child.kill('SIGTERM');
    }
  });

  it('shuts down gracefully: finishes the request in flight, then exits 0', async () => {
    // A real, slow FHIR server on loopback holds the request in flight.
    const conditions = (readScenario(path.join(ROOT, 'test/patients/CC-0248/met-relapsed-four-lines-ecog-1.json'), new Date()).request.prefetch as any).conditions;
    const slow = http.createServer((_req, res) => setTimeout(() => res.writeHead(200, { 'Content-Type': 'application/fhir+json' }).end(JSON.stringify(conditions)), 1500));
    await new Promise<void>((r) => slow.listen(0, '127.0.0.1', () => r()));
    const fhir = `http://127.0.0.1:${(slow.address() as AddressInfo).port}`;
    const { child, url } = await start({ PORT: '0', HOST: '127.0.0.1', SHUTDOWN_GRACE_MS: '10000' }, 'src/main.ts');
    try {
      const s = readScenario(path.join(ROOT, 'test/patients/CC-0248/met-relapsed-four-lines-ecog-1.json'), new Date());
      const body: any = JSON.parse(JSON.stringify(s.request));
      delete body.prefetch.conditions;
      for (const k of ['medicationStatements', 'medicationAdministrations', 'coverage']) body.prefetch[k] = { resourceType: 'Patient', id: 'pt-1' };
      body.fhirServer = fhir;
      const inFlight = fetch(`${url}/cds-services/prior-auth-criteria`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
      await new Promise((r) => setTimeout(r, 400));
      const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
      child.kill('SIGTERM');
      const res = await inFlight;
      expect(res.status).toBe(200);
      expect(((await res.json()) as any).cards[0].extension['prior-auth-criteria'].outcome).toBe('criteria-met');
      expect(await exited).toBe(0);
    } finally {
      child.kill('SIGKILL');
      slow.close();
    }
  });

  it('refuses to start on bad configuration, naming the variable', async () => {
    await expect(start({ PORT: 'eighty' })).rejects.toThrow(/PORT: must be an integer/);
  });
});
