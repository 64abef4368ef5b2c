import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { Server } from 'node:http';
import { chromium, type Browser, type Page } from 'playwright-core';
import { createDemoFhirServer, readSeedBundles } from '../../demo/fhir-server';
import { demoRouter } from '../../demo/router';
import { readDemoPatients } from '../../demo/try-page';
import { createLogger } from '../../src/platform/log';
import { content, escapeRegExp, testApp } from '../http/helpers';

/**
 * The try page driven like a clinician would, in headless Chromium: pick a demo patient, sign the
 * order, read the cards. The service runs in process with the embedded demo FHIR server, so the
 * whole path is real: page → order-sign → FHIR fetches → CQL → cards → page.
 */
// Functions passed to waitForFunction run in the page, where document exists.
declare const document: any;

const OUT = path.resolve(__dirname, '..', '..', 'test-output');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** The policy a demo patient is signed against (demo/seed/patients.json), as loaded. */
function demoPolicy(patientId: string) {
  const id = readDemoPatients().find((p) => p.id === patientId)!.policy;
  return content().policies.find((p) => p.definition.id === id)!.definition;
}
const ELREXFIO = demoPolicy('demo-elrexfio-met');
const BLINCYTO = demoPolicy('demo-blincyto-dlbcl');

let server: Server;
let base: string;
let browser: Browser;
let page: Page;
const problems: string[] = [];

beforeAll(async () => {
  const { service } = content();
  const fhir = createDemoFhirServer();
  await fhir.load(readSeedBundles(new Date()));
  // The demo entry's composition, on the real clock (the seed's dates are relative to now).
  const router = demoRouter({ serviceId: service.id, fhir: fhir.router });
  const { app } = testApp(
    { fhirTimeoutMs: 8000 },
    { log: createLogger('silent'), routers: [{ path: '/', router }], now: () => new Date() },
  );
  server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
    ],
  });
  page = await browser.newPage({ viewport: { width: 1400, height: 1100 } });
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('response', (r) => {
    if (r.status() >= 400) problems.push(`HTTP ${r.status()} for ${r.url()}`);
  });
  fs.mkdirSync(OUT, { recursive: true });
});

afterAll(async () => {
  await browser?.close();
  await new Promise((r) => server?.close(r));
});

async function signFor(patientId: string, options: { prefetch?: boolean } = {}) {
  await page.locator(`label[data-patient="${patientId}"] input`).check();
  if (options.prefetch) await page.locator('#prefetch').check();
  else await page.locator('#prefetch').uncheck();
  await page.locator('#sign').click();
  await page.waitForFunction(() =>
    /^HTTP \d+/.test(document.getElementById('status')?.textContent ?? ''),
  );
}

describe('the try page', () => {
  it('loads with the demo patients, the FHIR server and no CSP or script errors', async () => {
    await page.goto(`${base}/`);
    await page.waitForSelector('label[data-patient="demo-elrexfio-met"]');
    expect(page.url()).toBe(`${base}/try`);
    expect(await page.locator('label.patient').count()).toBe(9);
    expect(await page.locator('#fhir-server').textContent()).toBe(`${base}/demo/fhir`);
    expect(await page.locator('#orders').inputValue()).toMatch(/"J1323"/);
  });

  it('signs an Elrexfio order for a patient who meets the Elrexfio policy and shows the card', async () => {
    await signFor('demo-elrexfio-met');
    const card = page.locator('article.card').first();
    expect(await card.getAttribute('data-policy')).toBe(ELREXFIO.id);
    expect(await card.getAttribute('data-outcome')).toBe('criteria-met');
    expect(await card.getAttribute('class')).toMatch(/\binfo\b/);
    expect(await card.locator('.card-summary').textContent()).toMatch(
      new RegExp(`Elrexfio .*${escapeRegExp(ELREXFIO.document.number)} prior-auth criteria met`),
    );
    expect(await card.locator('.criteria-table tbody tr').count()).toBe(4);
    expect(await card.locator('tr[data-criterion="IV"] td').nth(1).textContent()).toBe('met');
    expect(await card.locator('tr[data-criterion="IV"] td').nth(3).textContent()).toMatch(
      /Observation\/demo-elrexfio-met-ecog-1/,
    );
    expect(await card.locator('.detail strong').first().textContent()).toMatch(
      new RegExp(escapeRegExp(ELREXFIO.document.number)),
    );
    expect(await page.locator('.action').textContent()).toMatch(
      /covered=covered, pa-needed=auth-needed/,
    );
    await page.screenshot({ path: path.join(OUT, 'try-elrexfio-met.png'), fullPage: true });
  });

  it('signs a Blincyto order for DLBCL and shows it is not approvable, with prefetch sent by the page', async () => {
    await signFor('demo-blincyto-dlbcl', { prefetch: true });
    const card = page.locator('article.card').first();
    expect(await card.getAttribute('data-policy')).toBe(BLINCYTO.id);
    expect(await card.getAttribute('data-outcome')).toBe('criteria-not-met');
    expect(await card.getAttribute('class')).toMatch(/\bwarning\b/);
    expect(await card.locator('tr[data-criterion="X.I"] td').nth(1).textContent()).toBe('met');
    expect(await page.locator('#raw-request').textContent()).toMatch(/"prefetch"/);
    expect(await page.locator('#raw-response').textContent()).toMatch(/"prior-auth-criteria"/);
    await page.screenshot({ path: path.join(OUT, 'try-blincyto-dlbcl.png'), fullPage: true });
  });

  it('shows documentation needed for Blincyto without a CD19 result, and an Elrexfio order switched in by the drug picker', async () => {
    await signFor('demo-blincyto-nocd19');
    expect(await page.locator('article.card').first().getAttribute('data-outcome')).toBe(
      'documentation-needed',
    );
    expect(await page.locator('article.card .detail').first().textContent()).toMatch(
      /What to document next/,
    );
    await page.selectOption('#drug', 'elrexfio');
    await page.locator('#sign').click();
    await page.waitForFunction(
      (policy) => document.querySelector('article.card')?.getAttribute('data-policy') === policy,
      ELREXFIO.id,
    );
    // An ALL patient has no myeloma on record: the Elrexfio policy's criterion II is not documented.
    expect(await page.locator('article.card tr[data-criterion="II"] td').nth(1).textContent()).toBe(
      'not documented',
    );
    await page.selectOption('#drug', 'patient');
  });

  it('reports a broken draft order in the page instead of sending it', async () => {
    await page.locator('#orders').fill('{ not json');
    await page.locator('#sign').click();
    expect(await page.locator('#status').textContent()).toMatch(/not valid JSON/);
    expect(problems).toEqual([]);
  });
});
