/**
 * The benchmark: the service exactly as `npm start` runs it (the demo entry, a child process,
 * the default configuration: no limit or queue overridden) under autocannon on 127.0.0.1, with
 * records shaped like an EHR's (realistic.ts: ~200 and ~1,000 resources) for both policies, with
 * full prefetch and with FHIR fallback to a local FHIR server; plus the in-process evaluation.
 *
 *   npm run bench                     full run (about 3 minutes)
 *   npm run bench -- --quick          smoke run (~200 resources only, 1 s per measurement)
 *   npm run bench -- --duration 10    seconds per measurement
 *
 * Writes bench-results/result.json and bench-results/result.md and prints the table.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import autocannon from 'autocannon';
import express from 'express';
import type { Bundle, FhirResource } from 'fhir/r4';
import { createDemoFhirServer } from '../../demo/fhir-server';
import { REPO_ROOT } from '../../src/platform/paths';
import { loadContent, type Content } from '../../src/services/content';
import { evaluateOrderSign } from '../../src/services/order-sign';
import { inProcessDeps, LOCAL_CALL } from '../in-process';
import { realisticRequest, REALISTIC_SIZES } from './realistic';
import { markdown, TARGETS, type Row } from './report';
import { BASE_SCENARIOS } from './synthetic';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/** A pause so the service finishes what the last measurement left queued (none leaks into the next). */
const settle = () => new Promise((r) => setTimeout(r, 1500));

async function run(url: string, body: string, connections: number, duration: number) {
  await settle();
  const result = await autocannon({
    url,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
    connections,
    duration,
    pipelining: 1,
  });
  return {
    p50: result.latency.p50,
    p99: result.latency.p99,
    rps: Math.round(result.requests.average),
    errors: result.errors + result.timeouts + result.non2xx,
  };
}

/** The process's peak resident memory (VmHWM), or its current one (VmRSS). */
function peakRssMb(pid: number, field: 'VmHWM' | 'VmRSS' = 'VmHWM'): number {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
    return Math.round(kb / 1024);
  } catch {
    return NaN;
  }
}

/** The in-process lower bound: the service's own parse → select → gather → evaluate, no HTTP. */
async function inProcessP50(
  request: ReturnType<typeof realisticRequest>['request'],
  content: Content,
  now: Date,
): Promise<number> {
  const deps = inProcessDeps(content, now);
  for (let i = 0; i < 20; i++) await evaluateOrderSign(deps, request, LOCAL_CALL);
  const samples: number[] = [];
  for (let i = 0; i < 100; i++) {
    const t = performance.now();
    await evaluateOrderSign(deps, request, LOCAL_CALL);
    samples.push(performance.now() - t);
  }
  samples.sort((a, b) => a - b);
  return Math.round((samples[50] as number) * 100) / 100;
}

/**
 * The service as `npm start` runs it (the demo entry), a child process, with the default
 * configuration (only the port, and the feedback and decision logs kept apart). Cold start:
 * spawn → /ready answering 200, and spawn → the first answered order-sign.
 */
async function startService(outDir: string, now: Date, stateDir: string) {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const serviceUrl = `${base}/cds-services/prior-auth-criteria`;
  const started = performance.now();
  // As package.json's start script runs it (tsx as a require hook: no loader thread, no wrapper
  // process; the pid is the server's).
  const child = spawn(
    process.execPath,
    ['--require', 'tsx/cjs', path.join(REPO_ROOT, 'demo/main.ts')],
    {
      cwd: REPO_ROOT,
      env: {
        ...process.env,
        PORT: String(port),
        FEEDBACK_LOG: path.join(outDir, 'feedback.jsonl'),
        DECISION_LOG: path.join(outDir, 'decisions.jsonl'),
        // Decisions are recorded as `npm start` records them: in embedded PostgreSQL (PGlite).
        STATE_DIR: stateDir,
      },
      // The service's request logs (LOG_LEVEL info by default) are written, to nowhere.
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  );
  const first = JSON.stringify(
    realisticRequest(Object.keys(BASE_SCENARIOS)[0] as string, 200, now).request,
  );
  let readyMs: number | undefined;
  for (let i = 0; i < 1000; i++) {
    try {
      if (readyMs === undefined) {
        const ready = await fetch(`${base}/ready`);
        await ready.arrayBuffer();
        if (ready.status === 200) readyMs = Math.round(performance.now() - started);
      }
      if (readyMs !== undefined) {
        const res = await fetch(serviceUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: first,
        });
        await res.arrayBuffer();
        if (res.status === 200)
          return {
            child,
            serviceUrl,
            readyMs,
            coldStartMs: Math.round(performance.now() - started),
          };
      }
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 5));
  }
  child.kill('SIGTERM');
  throw new Error('the service did not answer within 10 s');
}

/** SIGTERM, and the process gone (its database closed). */
function stopped(child: ReturnType<typeof spawn>): Promise<void> {
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

/** The same patient (its own id) as a transaction for the FHIR server, and the request without prefetch. */
function fhirFallback(
  request: ReturnType<typeof realisticRequest>['request'],
  pid: string,
  fhirBase: string,
): { tx: Bundle; body: string } {
  const own = JSON.parse(
    JSON.stringify(request)
      .replaceAll('Patient/pt-1', `Patient/${pid}`)
      .replaceAll('"pt-1"', `"${pid}"`),
  );
  const tx: Bundle = { resourceType: 'Bundle', type: 'transaction', entry: [] };
  const seen = new Set<string>();
  for (const v of Object.values(own.prefetch as Record<string, Bundle | FhirResource | null>)) {
    const resources =
      v?.resourceType === 'Bundle'
        ? (v.entry ?? []).flatMap((e) => (e.resource ? [e.resource] : []))
        : v
          ? [v]
          : [];
    for (const r of resources) {
      const rid = r.resourceType === 'Patient' ? pid : `${pid}-${r.id}`;
      if (seen.has(`${r.resourceType}/${rid}`)) continue;
      seen.add(`${r.resourceType}/${rid}`);
      tx.entry!.push({
        resource: { ...r, id: rid },
        request: { method: 'PUT', url: `${r.resourceType}/${rid}` },
      });
    }
  }
  delete own.prefetch;
  own.fhirServer = fhirBase;
  own.fhirAuthorization = { access_token: 'bench-token', token_type: 'Bearer' };
  return { tx, body: JSON.stringify(own) };
}

/** Writes result.json and result.md and prints the table. */
function writeResult(
  outDir: string,
  result: Parameters<typeof markdown>[0] & Record<string, unknown>,
): void {
  fs.mkdirSync(outDir, { recursive: true });
  fs.writeFileSync(path.join(outDir, 'result.json'), JSON.stringify(result, null, 2) + '\n');
  const md = markdown(result);
  fs.writeFileSync(path.join(outDir, 'result.md'), md);
  console.log(md);
}

/** A local FHIR server (Medplum's router, in memory) for the fallback runs. */
async function startFhirServer() {
  const fhir = createDemoFhirServer();
  const fhirApp = express();
  fhirApp.use('/fhir', fhir.router);
  const fhirPort = await freePort();
  const fhirServer = fhirApp.listen(fhirPort, '127.0.0.1');
  return { fhir, fhirServer, fhirBase: `http://127.0.0.1:${fhirPort}/fhir` };
}

/** One policy and size: prefetch at c=1 and c=16 with the in-process time, then FHIR fallback. */
async function measure(
  policy: string,
  size: number,
  mode: Row['mode'],
  env: {
    serviceUrl: string;
    fhir: Awaited<ReturnType<typeof startFhirServer>>['fhir'];
    fhirBase: string;
    content: Content;
    now: Date;
    duration: number;
  },
): Promise<Row> {
  const { serviceUrl, fhir, fhirBase, content, now, duration } = env;
  const { request, resources } = realisticRequest(policy, size, now);
  if (mode === 'prefetch') {
    const lower = await inProcessP50(request, content, now);
    const body = JSON.stringify(request);
    const c1 = await run(serviceUrl, body, 1, duration);
    const c16 = await run(serviceUrl, body, 16, duration);
    return {
      policy,
      size,
      resources,
      mode,
      c1,
      c16,
      errors: c1.errors + c16.errors,
      inProcessP50: lower,
    };
  }
  const fallback = fhirFallback(request, `bench-${policy.toLowerCase()}-${size}`, fhirBase);
  await fhir.load([fallback.tx]);
  const c1 = await run(serviceUrl, fallback.body, 1, duration);
  const c16 = await run(serviceUrl, fallback.body, 16, duration);
  return { policy, size, resources, mode, c1, c16, errors: c1.errors + c16.errors };
}

async function main(): Promise<void> {
  const quick = process.argv.includes('--quick');
  const duration = Number(arg('--duration') ?? (quick ? 1 : 5));
  const sizes = quick ? [REALISTIC_SIZES[0] as number] : [...REALISTIC_SIZES];
  const outDir = path.resolve(arg('--out') ?? path.join(REPO_ROOT, 'bench-results'));
  const now = new Date();
  // A local FHIR server (Medplum's router, in memory) for the fallback runs.
  const { fhir, fhirServer, fhirBase } = await startFhirServer();
  // The first start ever creates the embedded database (initdb, once per data directory); it is
  // timed, stopped, and the service measured is the next start on the same directory.
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pa-bench-pglite-'));
  const firstStart = await startService(outDir, now, stateDir);
  const firstStartPeakRssMb = peakRssMb(firstStart.child.pid as number);
  const firstStartRssMb = peakRssMb(firstStart.child.pid as number, 'VmRSS');
  await stopped(firstStart.child);
  const { child, serviceUrl, readyMs, coldStartMs } = await startService(outDir, now, stateDir);
  const content = loadContent();
  const rows: Row[] = [];
  try {
    // Every prefetch point first: a FHIR-fallback run at 16 connections leaves the service
    // waiting on the FHIR server for seconds, which would leak into the next point.
    for (const mode of ['prefetch', 'fhir'] as const)
      for (const policy of Object.keys(BASE_SCENARIOS))
        for (const size of sizes) {
          const env = { serviceUrl, fhir, fhirBase, content, now, duration };
          rows.push(await measure(policy, size, mode, env));
          console.error(`${policy} ${size} ${mode} done`);
        }
  } finally {
    const rssMb = peakRssMb(child.pid as number);
    child.kill('SIGTERM');
    fhirServer.close();
    const result = {
      date: now.toISOString(),
      machine: machine(),
      durationSeconds: duration,
      readyMs,
      coldStartMs,
      peakRssMb: rssMb,
      firstStart: {
        readyMs: firstStart.readyMs,
        coldStartMs: firstStart.coldStartMs,
        peakRssMb: firstStartPeakRssMb,
        rssMb: firstStartRssMb,
      },
      targets: TARGETS,
      rows,
    };
    writeResult(outDir, result);
  }
}

function machine(): string {
  return `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
}

main().catch((e: unknown) => {
  console.error(`bench: ${(e as Error).message}`);
  process.exit(1);
});
