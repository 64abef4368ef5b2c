import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { Server } from 'node:http';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';
import { createDemoFhirServer, readSeedBundles } from '../../demo/fhir-server';
import { demoRouter } from '../../demo/router';
import { readDemoPatients } from '../../demo/try-page';
import { createLogger } from '../../src/platform/log';
import { content, escapeRegExp, testApp } from '../http/helpers';

/**
 * The try page driven like a clinician would, in headless Chromium: pick a demo patient, sign the
 * order, read the cards. The service runs in process with the embedded demo FHIR server, so the
 * whole path is real: page → order-sign → FHIR fetches → CQL → cards → page. A few tests answer
 * the order-sign call with a fixed response instead (page.route), to show every card field.
 */
// Functions passed to page.evaluate / waitForFunction run in the page, where these exist.
declare const document: any;
declare const window: any;
declare const getComputedStyle: any;

const OUT = path.resolve(__dirname, '..', '..', 'test-output');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const VIEWPORT = { width: 1280, height: 720 };

/** The policy a demo patient is signed against (demo/seed/patients.json), as loaded. */
function demoPolicy(patientId: string) {
  const id = readDemoPatients().find((p) => p.id === patientId)!.policy;
  return content().policies.find((p) => p.definition.id === id)!.definition;
}
const ELREXFIO = demoPolicy('demo-elrexfio-met');
const BLINCYTO = demoPolicy('demo-blincyto-dlbcl');
const SERVICE_ID = content().service.id;

let server: Server;
let base: string;
let feedbackFile: string;
let browser: Browser;
let page: Page;
let problems: string[] = [];

beforeAll(async () => {
  const { service } = content();
  const fhir = createDemoFhirServer();
  await fhir.load(readSeedBundles(new Date()));
  // The demo entry's composition, on the real clock (the seed's dates are relative to now).
  const router = demoRouter({ serviceId: service.id, fhir: fhir.router });
  const test = testApp(
    { fhirTimeoutMs: 8000 },
    { log: createLogger('silent'), routers: [{ path: '/', router }], now: () => new Date() },
  );
  feedbackFile = test.feedbackFile;
  server = test.app.listen(0, '127.0.0.1');
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
  page = await browser.newPage({ viewport: VIEWPORT });
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
  await clickSign();
}

async function clickSign() {
  await page.evaluate(() => {
    document.getElementById('status').textContent = '';
  });
  await page.locator('#sign').click();
  await page.waitForFunction(() => {
    const text = document.getElementById('status')?.textContent ?? '';
    return /^(HTTP \d+|Request failed|The draft order)/.test(text);
  });
}

/** Signs again with the open documentation form, and waits for the answer (or an error). */
async function signAgainWithForm() {
  await page.evaluate(() => {
    document.getElementById('status').textContent = '';
  });
  await page.getByRole('button', { name: 'Sign again with the form' }).click();
  await page.waitForFunction(() =>
    /^(HTTP \d+|Request failed)/.test(document.getElementById('status')?.textContent ?? ''),
  );
}

/** Today on this machine (the browser's clock and time zone), YYYY-MM-DD. */
function localToday(): string {
  const d = new Date();
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

/** The order-sign response the page shows in its raw panel. */
async function lastResponse(): Promise<any> {
  return JSON.parse((await page.locator('#raw-response').textContent()) ?? 'null');
}

/** The prior-auth-criteria extension of the first card with one. */
async function criteriaOfResponse(): Promise<any> {
  const body = await lastResponse();
  return body.cards.find((c: any) => c.extension?.['prior-auth-criteria'])?.extension[
    'prior-auth-criteria'
  ];
}

const row = (card: Locator, id: string) => card.locator(`tr[data-criterion="${id}"]`);
const statusOf = (card: Locator, id: string) =>
  row(card, id).locator('.status-label').textContent();

/** Answers the next order-sign calls with a fixed body (until unrouted). */
async function answerWith(body: unknown) {
  await page.route(`${base}/cds-services/${SERVICE_ID}`, (route) =>
    route.request().method() === 'POST'
      ? route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify(body) })
      : route.continue(),
  );
}

async function readFeedback(): Promise<any[]> {
  if (!fs.existsSync(feedbackFile)) return [];
  return fs
    .readFileSync(feedbackFile, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l));
}

/** A full-page screenshot with the Sign bar laid out in place (it is sticky to the window bottom). */
async function fullPageShot(name: string) {
  const bar = page.locator('.sign-bar');
  await bar.evaluate((n: any) => (n.style.position = 'static'));
  await page.screenshot({ path: path.join(OUT, name), fullPage: true });
  await bar.evaluate((n: any) => (n.style.position = ''));
}

// ---- WCAG 2 contrast, computed in the page from getComputedStyle
interface Contrast {
  ratio: number;
  color: number[];
  background: number[];
  text: string;
  where: string;
}

/** Contrast of an element's text against the background it is drawn on (ancestors composited). */
function contrastInPage(node: any): Contrast {
  const parse = (c: string): number[] => {
    const m = /rgba?\(([^)]+)\)/.exec(c);
    if (!m) return [0, 0, 0, 0];
    const p = m[1]!
      .split(/[\s,/]+/)
      .filter(Boolean)
      .map(Number);
    return [p[0]!, p[1]!, p[2]!, p[3] ?? 1];
  };
  const over = (top: number[], bottom: number[]): number[] => {
    const a = top[3]!;
    return [0, 1, 2].map((i) => top[i]! * a + bottom[i]! * (1 - a)).concat(1);
  };
  const chain: any[] = [];
  for (let n = node; n && n.nodeType === 1; n = n.parentElement) chain.unshift(n);
  let bg = [255, 255, 255, 1];
  let opacity = 1;
  for (const n of chain) {
    const s = getComputedStyle(n);
    bg = over(parse(s.backgroundColor), bg);
    opacity *= Number(s.opacity);
  }
  const fgRaw = parse(getComputedStyle(node).color);
  const fg = over([fgRaw[0]!, fgRaw[1]!, fgRaw[2]!, fgRaw[3]! * opacity], bg);
  const lum = (c: number[]) => {
    const [r, g, b] = [0, 1, 2].map((i) => {
      const v = c[i]! / 255;
      return v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
  };
  const [hi, lo] = [lum(fg), lum(bg)].sort((a, b) => b - a);
  const where =
    node.tagName.toLowerCase() +
    (node.id ? `#${node.id}` : '') +
    (typeof node.className === 'string' && node.className
      ? `.${node.className.trim().split(/\s+/).join('.')}`
      : '');
  return {
    ratio: Math.round(((hi! + 0.05) / (lo! + 0.05)) * 100) / 100,
    color: fg,
    background: bg,
    text: String(node.value || node.textContent || '')
      .trim()
      .slice(0, 40),
    where,
  };
}

async function contrastOf(locator: Locator): Promise<Contrast> {
  return locator.evaluate(contrastInPage);
}

/** Every visible piece of text on the page (and form controls) below 4.5:1. */
async function lowContrastText(): Promise<Contrast[]> {
  return page.evaluate(`(() => {
    const contrastOf = ${contrastInPage.toString()};
    const out = [];
    for (const node of document.querySelectorAll('body *')) {
      if (node.getClientRects().length === 0) continue;
      if (getComputedStyle(node).visibility !== 'visible') continue;
      if (node.closest('details:not([open]) > :not(summary)')) continue;
      const control = /^(INPUT|TEXTAREA|SELECT|BUTTON)$/.test(node.tagName);
      const ownText = [...node.childNodes].some((c) => c.nodeType === 3 && c.textContent.trim());
      if (!control && !ownText) continue;
      if (node.tagName === 'INPUT' && /^(radio|checkbox)$/.test(node.type)) continue;
      const c = contrastOf(node);
      if (c.ratio < 4.5) out.push(c);
    }
    return out;
  })()`);
}

const isRed = (c: number[]) => c[0]! > c[1]! * 1.5 && c[0]! > c[2]! * 1.5;
const isGreen = (c: number[]) => c[1]! > c[0]! && c[1]! > c[2]!;

/** No horizontal scrolling of the page. */
async function pageOverflow() {
  return page.evaluate(() => ({
    scrollWidth: document.documentElement.scrollWidth,
    clientWidth: document.documentElement.clientWidth,
  }));
}

// ---- Fixed responses in the card contract (every optional field), and one in the old shape
const REASONS = [
  {
    system: 'http://example.org/override',
    code: 'documented-elsewhere',
    display: 'Documented elsewhere',
  },
  { system: 'http://example.org/override', code: 'urgent', display: 'Urgent clinical need' },
];
const criterion = (id: string, role: string, status: string, evidence: string[] = []) => ({
  id,
  role,
  status,
  text: `Criterion ${id} text`,
  detail: `Criterion ${id} detail`,
  evidence,
});
const CONTRACT_RESPONSE = {
  cards: [
    {
      uuid: 'contract-info',
      summary: 'Drug: meets POL-1 (I) — request prior auth with this evidence',
      detail:
        '**Meets POL-1** through I. See [the policy](https://example.org/pol-1).\n\n- **I**: on record.\n- <img src=x onerror="window.__xss=1"> [bad](javascript:window.__xss=2)',
      indicator: 'info',
      source: {
        label: 'POL-1 Clinical criteria',
        url: 'https://example.org/pol-1',
        topic: {
          system: 'http://example.org',
          code: 'coverage-info',
          display: 'Coverage Information',
        },
      },
      links: [
        {
          label: 'POL-1 criteria and evidence',
          url: 'https://example.org/pol-1',
          type: 'absolute',
        },
        { label: 'Not a link', url: 'javascript:window.__xss=3', type: 'absolute' },
      ],
      overrideReasons: REASONS,
      extension: {
        'prior-auth-criteria': {
          policy: 'POL-1',
          outcome: 'criteria-met',
          formula: 'not X.I and (I or II)',
          decidedBy: ['X.I', 'I'],
          approvingBranch: ['X.I', 'I'],
          criteria: [
            criterion('I', 'inclusion', 'met', ['Observation/ecog-1', 'MedicationRequest/draft-1']),
            criterion('II', 'inclusion', 'not-met'),
            criterion('III', 'inclusion', 'unknown'),
            criterion('X.I', 'exclusion', 'does-not-apply'),
          ],
        },
      },
    },
    {
      uuid: 'contract-warning',
      summary: 'Drug: document II to decide POL-1',
      detail: 'Document **II** or **III**.',
      indicator: 'warning',
      source: { label: 'POL-1 Clinical criteria' },
      overrideReasons: REASONS,
      extension: {
        'prior-auth-criteria': {
          policy: 'POL-1',
          outcome: 'documentation-needed',
          formula: 'not X.I and (I or II)',
          decidedBy: ['II'],
          missingSets: [['II'], ['X.I']],
          toDocument: { II: 'Record the II result.' },
          criteria: [
            criterion('I', 'inclusion', 'not-met'),
            criterion('II', 'inclusion', 'unknown'),
            criterion('X.I', 'exclusion', 'unknown'),
          ],
        },
      },
    },
    {
      uuid: 'contract-critical',
      summary: 'Drug: not approvable — exclusion X.I applies',
      detail: '**Not approvable under POL-1**.',
      indicator: 'critical',
      source: { label: 'POL-1 Clinical criteria', url: 'https://example.org/pol-1' },
      extension: {
        'prior-auth-criteria': {
          policy: 'POL-1',
          outcome: 'criteria-not-met',
          formula: 'not X.I and (I or II)',
          decidedBy: ['X.I'],
          blockingCriteria: ['X.I'],
          offLabel: true,
          notes: ['A note from the evaluation.'],
          criteria: [
            criterion('I', 'inclusion', 'met', ['Condition/dx-1']),
            criterion('X.I', 'exclusion', 'applies', ['Condition/dlbcl-1']),
          ],
        },
      },
    },
    {
      uuid: 'contract-instructions',
      summary: 'How to request prior authorization for POL-1',
      detail: '1. Attach the evidence.\n2. Submit the request.',
      indicator: 'info',
      source: { label: 'POL-1 Clinical criteria' },
      extension: {
        'prior-auth-instructions': {
          policy: 'POL-1',
          outcome: 'criteria-met',
          forCard: 'contract-info',
        },
      },
    },
  ],
  systemActions: [],
};
/** A card as the service sent it before the new format: no role, detail, formula or branches. */
const OLD_RESPONSE = {
  cards: [
    {
      uuid: 'old-1',
      summary: 'Blincyto 35 mcg: does not meet CC-0126 prior-auth criteria as documented',
      detail: 'As documented, this order does not meet the clinical criteria.',
      indicator: 'warning',
      source: { label: 'CC-0126', url: 'https://example.org/CC-0126' },
      extension: {
        'prior-auth-criteria': {
          policy: 'CC-0126',
          outcome: 'criteria-not-met',
          criteria: [
            { id: 'I', status: 'met', text: 'ALL', evidence: ['Condition/all-1'] },
            { id: 'V', status: 'not-met', text: 'Infant', evidence: [] },
            { id: 'X.I', status: 'met', text: 'DLBCL', evidence: ['Condition/dlbcl-1'] },
          ],
        },
      },
    },
  ],
};

describe('the try page', () => {
  it('loads with the demo patients, the FHIR server and no CSP or script errors', async () => {
    await page.goto(`${base}/`);
    await page.waitForSelector('label[data-patient="demo-elrexfio-met"]');
    expect(page.url()).toBe(`${base}/try`);
    expect(await page.locator('label.patient').count()).toBe(9);
    expect(await page.locator('#fhir-server').textContent()).toBe(`${base}/demo/fhir`);
    expect(await page.locator('#orders').inputValue()).toMatch(/"J1323"/);
  });

  it('shows the Sign button without scrolling at 1280×720', async () => {
    expect(page.viewportSize()).toEqual(VIEWPORT);
    expect(await page.evaluate(() => window.scrollY)).toBe(0);
    const box = (await page.locator('#sign').boundingBox())!;
    expect(box.y).toBeGreaterThanOrEqual(0);
    expect(box.y + box.height).toBeLessThanOrEqual(VIEWPORT.height);
    expect(box.x + box.width).toBeLessThanOrEqual(VIEWPORT.width);
    await page.screenshot({ path: path.join(OUT, 'try-start-1280x720.png') });
  });

  it('signs an Elrexfio order for a patient who meets the Elrexfio policy, shows the card and moves focus to it', async () => {
    await signFor('demo-elrexfio-met');
    // Focus on the result heading; the outcome announced politely.
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('result-heading');
    expect(await page.locator('#result-heading').getAttribute('tabindex')).toBe('-1');
    expect(await page.locator('#announce').getAttribute('aria-live')).toBe('polite');
    const card = page.locator('article.card').first();
    const summary = (await card.locator('.card-summary').textContent())!;
    expect(await page.locator('#announce').textContent()).toContain(summary);

    expect(await card.getAttribute('data-policy')).toBe(ELREXFIO.id);
    expect(await card.getAttribute('data-outcome')).toBe('criteria-met');
    expect(await card.getAttribute('class')).toMatch(/\binfo\b/);
    expect(await card.locator('.indicator').textContent()).toMatch(/Info/);
    expect(summary).toMatch(/Elrexfio/);
    expect(summary).toMatch(new RegExp(escapeRegExp(ELREXFIO.document.number)));
    expect(await card.locator('.detail strong').first().textContent()).toMatch(
      new RegExp(escapeRegExp(ELREXFIO.document.number)),
    );
    // The criteria view: collapsed by default, one row per criterion of the response.
    const criteria = card.locator('details.criteria');
    expect(await criteria.evaluate((d: any) => d.open)).toBe(false);
    const pac = await criteriaOfResponse();
    expect(await card.locator('.criteria-table tbody tr').count()).toBe(pac.criteria.length);
    expect(await statusOf(card, 'IV')).toBe('met');
    expect(await row(card, 'IV').locator('.criterion-evidence li').allTextContents()).toContain(
      'Observation demo-elrexfio-met-ecog-1',
    );
    expect(await page.locator('.action').textContent()).toMatch(
      /covered=covered, pa-needed=auth-needed/,
    );
    // Accept: CDS Hooks feedback, recorded by the service.
    await card.locator('button.accept').click();
    await card.locator('.feedback-status.ok').waitFor();
    expect(await card.locator('.feedback-status').textContent()).toBe(
      'Feedback recorded: accepted.',
    );
    const uuid = await card.getAttribute('data-uuid');
    const stored = (await readFeedback()).find((f) => f.card === uuid);
    expect(stored).toMatchObject({ card: uuid, outcome: 'accepted' });
    await criteria.locator('summary').click();
    await fullPageShot('try-elrexfio-met.png');
  });

  it('signs a Blincyto order for DLBCL: the exclusion "applies" in red and blocks; prefetch sent by the page; override with a reason', async () => {
    await signFor('demo-blincyto-dlbcl', { prefetch: true });
    const card = page.locator('article.card[data-kind="criteria"]').first();
    expect(await card.getAttribute('data-policy')).toBe(BLINCYTO.id);
    expect(await card.getAttribute('data-outcome')).toBe('criteria-not-met');
    expect(await card.getAttribute('class')).toMatch(/\bwarning\b/);
    expect(await page.locator('#raw-request').textContent()).toMatch(/"prefetch"/);
    expect(await page.locator('#raw-response').textContent()).toMatch(/"prior-auth-criteria"/);

    // Read from the response (new card format): the exclusion and what blocks approval.
    const pac = await criteriaOfResponse();
    const exclusion = pac.criteria.find((c: any) => c.role === 'exclusion');
    expect(exclusion).toBeDefined();
    expect(exclusion.status).toBe('applies');
    const cell = row(card, exclusion.id).locator('td.status');
    expect(await row(card, exclusion.id).locator('td.role').textContent()).toBe('exclusion');
    expect(await cell.locator('.status-label').textContent()).toBe('applies');
    expect(await cell.getAttribute('data-effect')).toBe('bad');
    const contrast = await contrastOf(cell);
    expect(isRed(contrast.color)).toBe(true);
    expect(contrast.ratio).toBeGreaterThanOrEqual(4.5);
    expect(pac.blockingCriteria).toEqual(expect.arrayContaining([exclusion.id]));
    for (const id of pac.blockingCriteria)
      expect(await row(card, id).locator('.marker-blocking').textContent()).toMatch(/blocks/);
    if (pac.formula) expect(await card.locator('.formula code').textContent()).toBe(pac.formula);

    // Override with a reason the card offers.
    expect(Array.isArray((await lastResponse()).cards[0].overrideReasons)).toBe(true);
    const reasons = card.locator('select.override-reason option');
    expect(await reasons.count()).toBeGreaterThan(1);
    await card.locator('select.override-reason').selectOption({ index: 1 });
    const chosen = (await reasons.nth(1).textContent())!;
    await card.locator('button.override').click();
    await card.locator('.feedback-status.ok').waitFor();
    expect(await card.locator('.feedback-status').textContent()).toBe(
      `Feedback recorded: overridden (${chosen}).`,
    );
    const uuid = await card.getAttribute('data-uuid');
    const stored = (await readFeedback()).find((f) => f.card === uuid);
    expect(stored).toMatchObject({ outcome: 'overridden' });
    expect(stored.overrideReason.reason.display).toBe(chosen);
    await card.locator('details.criteria summary').click();
    await fullPageShot('try-blincyto-dlbcl.png');
  });

  it('signs a Blincyto order for relapsed ALL: the exclusion "does not apply" in green, the approving branch marked', async () => {
    await signFor('demo-blincyto-relapse');
    const card = page.locator('article.card[data-kind="criteria"]').first();
    expect(await card.getAttribute('data-outcome')).toBe('criteria-met');
    const pac = await criteriaOfResponse();
    const exclusion = pac.criteria.find((c: any) => c.role === 'exclusion');
    expect(exclusion).toBeDefined();
    expect(exclusion.status).toBe('does-not-apply');
    const cell = row(card, exclusion.id).locator('td.status');
    expect(await cell.locator('.status-label').textContent()).toBe('does not apply');
    expect(await cell.getAttribute('data-effect')).toBe('good');
    const contrast = await contrastOf(cell);
    expect(isGreen(contrast.color)).toBe(true);
    expect(contrast.ratio).toBeGreaterThanOrEqual(4.5);
    expect(pac.approvingBranch?.length).toBeGreaterThan(0);
    for (const id of pac.approvingBranch)
      expect(await row(card, id).locator('.marker-approving').textContent()).toMatch(
        /approving branch/,
      );
    const others = pac.criteria.filter((c: any) => !pac.approvingBranch.includes(c.id));
    for (const c of others)
      expect(await row(card, c.id).locator('.marker-approving').count()).toBe(0);
    await card.locator('details.criteria summary').click();
    await fullPageShot('try-blincyto-relapse.png');
  });

  it('shows documentation needed for Blincyto without a CD19 result, and an Elrexfio order switched in by the drug picker', async () => {
    await signFor('demo-blincyto-nocd19');
    const card = page.locator('article.card[data-kind="criteria"]').first();
    expect(await card.getAttribute('data-outcome')).toBe('documentation-needed');
    const pac = await criteriaOfResponse();
    const toDocument = new Set<string>([
      ...(pac.missingSets ?? []).flat(),
      ...Object.keys(pac.toDocument ?? {}),
    ]);
    expect(toDocument.size).toBeGreaterThan(0);
    for (const id of toDocument)
      expect(await row(card, id).locator('.marker-document').textContent()).toMatch(/to document/);

    await page.selectOption('#drug', 'elrexfio');
    await clickSign();
    await page.waitForFunction(
      (policy) => document.querySelector('article.card')?.getAttribute('data-policy') === policy,
      ELREXFIO.id,
    );
    // An ALL patient has no myeloma on record: the Elrexfio policy's criterion II is not documented.
    expect(await statusOf(page.locator('article.card').first(), 'II')).toBe('not documented');
    await page.selectOption('#drug', 'patient');
  });

  it('opens the documentation form pre-filled on a documentation-needed card; an ECOG of 1 entered today and signed again meets the criteria', async () => {
    // The stale-ECOG patient: the only ECOG on record is 45 days old (ECOG must be within 30).
    await signFor('demo-elrexfio-docs');
    let card = page.locator('article.card[data-kind="criteria"]').first();
    expect(await card.getAttribute('data-policy')).toBe(ELREXFIO.id);
    expect(await card.getAttribute('data-outcome')).toBe('documentation-needed');
    const pac = await criteriaOfResponse();
    expect(pac.missingSets).toEqual([['IV']]);
    const recordDate = /ECOG 0 on (\d{4}-\d{2}-\d{2})/.exec(
      (await card.locator('.detail').textContent())!,
    )![1]!;

    // Open the form: pre-filled by the service from the record, focus on its heading.
    await card.getByRole('button', { name: 'Complete the documentation form' }).click();
    const form = page.locator('section.dtr-form');
    await form.waitFor();
    await page.waitForFunction(() => document.activeElement?.id === 'dtr-heading');
    const canonical = `http://example.org/fhir/pa-cds/Questionnaire/${ELREXFIO.id}|${pac.policyVersion}`;
    expect(await form.getAttribute('data-questionnaire')).toBe(canonical);
    expect(await page.locator('#dtr-heading').textContent()).toMatch(/^Documentation form: /);
    const selected = (l: Locator) => l.evaluate((s: any) => s.selectedOptions[0].textContent);
    // Labels name the controls (getByLabel finds them through <label for>).
    const score = form.getByLabel('ECOG performance status');
    const date = form.getByLabel('Date assessed');
    expect(await selected(score)).toBe('0: Fully active');
    expect(await date.inputValue()).toBe(recordDate);
    expect(await date.getAttribute('type')).toBe('date');
    expect(await selected(form.getByLabel('Multiple myeloma, as diagnosed now'))).toBe(
      'Multiple myeloma in relapse',
    );
    expect(await form.getByLabel('Date of this diagnosis').inputValue()).toBe('');
    const lines = form.getByLabel('Prior lines of therapy on record');
    expect(await lines.inputValue()).toMatch(/^4: bortezomib \+ lenalidomide/);
    expect(await lines.getAttribute('readonly')).not.toBeNull();
    const origin = (linkId: string) =>
      form.locator(`[data-link-id="${linkId}"] > .dtr-origin`).textContent();
    for (const id of ['II.status', 'III.on-record', 'IV.score', 'IV.date'])
      expect(await origin(id)).toBe('From the record');
    expect(await origin('II.date')).toBe('');
    // Groups as fieldsets with their criterion as legend; the repeating one starts empty.
    expect(await form.locator('fieldset[data-link-id="IV"] > legend').textContent()).toMatch(
      /^IV\. /,
    );
    const therapies = form.locator('fieldset[data-link-id="III.line"]');
    expect(await therapies.locator('fieldset.dtr-entry').count()).toBe(0);
    await therapies.getByRole('button', { name: 'Add entry' }).click();
    expect(await therapies.locator('fieldset.dtr-entry').count()).toBe(1);
    expect(await therapies.locator('fieldset.dtr-entry > legend').textContent()).toBe('Entry 1');
    const agent = therapies.getByLabel('Agent');
    expect(await page.evaluate(() => document.activeElement?.tagName)).toBe('SELECT');
    expect(await agent.locator('option').allTextContents()).toContain('daratumumab');
    await therapies.getByRole('button', { name: 'Remove entry 1' }).click();
    expect(await therapies.locator('fieldset.dtr-entry').count()).toBe(0);
    expect(await lowContrastText()).toEqual([]);
    expect((await pageOverflow()).scrollWidth).toBeLessThanOrEqual(
      (await pageOverflow()).clientWidth,
    );

    // ECOG 1 assessed today, entered over what the record shows.
    await score.selectOption({ label: '1: Restricted in strenuous activity, ambulatory' });
    await date.fill(localToday());
    expect(await origin('IV.score')).toBe('Entered by you');
    expect(await origin('IV.date')).toBe('Entered by you');
    expect(await origin('II.status')).toBe('From the record');
    await date.blur();
    await fullPageShot('try-dtr-form.png');

    // Without its date the group is refused by the service (400, the item named), shown like any
    // error; the form stays open to fix it.
    await date.fill('');
    await signAgainWithForm();
    expect(await page.locator('#status').textContent()).toMatch(/^HTTP 400: .*"IV\.date"/);
    expect(await page.locator('#cards .error-box').textContent()).toMatch(/"IV\.date" is required/);
    expect(await page.locator('article.card').count()).toBe(0);
    expect(await form.locator('.dtr-status.error').textContent()).toMatch(/IV\.date/);

    // Dated today again and signed again: the card is re-evaluated.
    await date.fill(localToday());
    await signAgainWithForm();
    expect(await page.locator('#status').textContent()).toMatch(/^HTTP 200/);
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('result-heading');
    expect(await page.locator('section.dtr-form').count()).toBe(0);
    card = page.locator('article.card[data-kind="criteria"]').first();
    expect(await card.getAttribute('data-outcome')).toBe('criteria-met');
    expect(await card.locator('.outcome').textContent()).toBe('criteria met');
    expect(
      await card.getByRole('button', { name: 'Complete the documentation form' }).count(),
    ).toBe(0);
    expect(await statusOf(card, 'IV')).toBe('met');
    const met = await criteriaOfResponse();
    expect(met.outcome).toBe('criteria-met');
    const iv = met.criteria.find((c: any) => c.id === 'IV');
    expect(iv.status).toBe('met');
    expect(iv.evidence).toEqual([expect.stringMatching(/^QuestionnaireResponse\/try-qr-/)]);

    // What was sent: the completed form in the prefetch; the answers left as pre-filled keep
    // their auto-server origin, the ones entered have none.
    const sent = JSON.parse((await page.locator('#raw-request').textContent())!);
    const qr = sent.prefetch.questionnaireResponses.entry[0].resource;
    expect(qr).toMatchObject({
      resourceType: 'QuestionnaireResponse',
      status: 'completed',
      questionnaire: canonical,
      subject: { reference: 'Patient/demo-elrexfio-docs' },
    });
    expect(qr.id).toMatch(/^try-qr-/);
    const answerOf = (linkId: string, items: any[] = qr.item): any =>
      items.flatMap((i) =>
        i.linkId === linkId ? [i.answer[0]] : [answerOf(linkId, i.item ?? [])].filter(Boolean),
      )[0];
    expect(answerOf('IV.score')).toEqual({
      valueCoding: {
        system: 'http://loinc.org',
        code: 'LA9623-5',
        display: '1: Restricted in strenuous activity, ambulatory',
      },
    });
    expect(answerOf('IV.date')).toEqual({ valueDate: localToday() });
    expect(answerOf('II.status').extension).toEqual([
      {
        url: 'http://hl7.org/fhir/us/davinci-dtr/StructureDefinition/information-origin',
        extension: [{ url: 'source', valueCode: 'auto-server' }],
      },
    ]);
    expect(answerOf('III.line')).toBeUndefined();
    await card.locator('details.criteria summary').click();
    await fullPageShot('try-dtr-met.png');

    // The 400 above is the one expected failure.
    const expected = [
      /^HTTP 400 for .*\/cds-services\//,
      /^console: Failed to load resource: .*400/,
    ];
    problems = problems.filter((p) => !expected.some((e) => e.test(p)));
    expect(problems).toEqual([]);
  });

  it('keeps the page from scrolling sideways with the raw panel and the criteria open at 1280×720', async () => {
    await signFor('demo-blincyto-dlbcl', { prefetch: true });
    const panel = page.locator('#result-panel');
    const before = (await panel.boundingBox())!;
    await page.locator('#raw summary').click();
    await page.locator('article.card details.criteria summary').first().click();
    const after = (await panel.boundingBox())!;
    const { scrollWidth, clientWidth } = await pageOverflow();
    expect(scrollWidth).toBeLessThanOrEqual(clientWidth);
    expect(Math.abs(after.width - before.width)).toBeLessThanOrEqual(1);
    for (const id of ['raw-request', 'raw-response']) {
      const pre = (await page.locator(`#${id}`).boundingBox())!;
      expect(pre.x + pre.width).toBeLessThanOrEqual(after.x + after.width);
    }
    const table = (await page.locator('.criteria-table').first().boundingBox())!;
    expect(table.x + table.width).toBeLessThanOrEqual(after.x + after.width);
    await fullPageShot('try-raw-open-1280x720.png');
    await page.locator('#raw summary').click();
  });

  it('shows every card field of the contract: badge, markdown (escaped), source, links, override reasons, criteria markers, an instructions card', async () => {
    await answerWith(CONTRACT_RESPONSE);
    try {
      await clickSign();
    } finally {
      await page.unroute(`${base}/cds-services/${SERVICE_ID}`);
    }
    const cards = page.locator('article.card');
    expect(await cards.count()).toBe(4);
    const [info, warning, critical, instructions] = [0, 1, 2, 3].map((i) => cards.nth(i));
    expect(await info!.locator('.indicator').textContent()).toMatch(/Info/);
    expect(await warning!.locator('.indicator').textContent()).toMatch(/Warning/);
    expect(await critical!.locator('.indicator').textContent()).toMatch(/Critical/);
    // Markdown: links http(s) only, no HTML from the text.
    expect(await info!.locator('.detail a').count()).toBe(1);
    expect(await info!.locator('.detail a').getAttribute('href')).toBe('https://example.org/pol-1');
    expect(await page.locator('article.card img').count()).toBe(0);
    expect(await info!.locator('.detail').textContent()).toMatch(/<img src=x/);
    expect(await page.evaluate(() => window.__xss)).toBeUndefined();
    // Source with its link and topic; links as buttons (a javascript: URL is dropped).
    expect(await info!.locator('.source a').getAttribute('href')).toBe('https://example.org/pol-1');
    expect(await info!.locator('.source').textContent()).toMatch(/Coverage Information/);
    expect(await warning!.locator('.source a').count()).toBe(0);
    expect(await info!.locator('.links a.link-button').allTextContents()).toEqual([
      'POL-1 criteria and evidence',
    ]);
    // Override reasons as a select; no reasons: Accept and Override only.
    expect(await info!.locator('select.override-reason option').allTextContents()).toEqual([
      'Choose a reason…',
      ...REASONS.map((r) => r.display),
    ]);
    expect(await critical!.locator('select.override-reason').count()).toBe(0);
    expect(await critical!.locator('button.override').count()).toBe(1);
    // Criteria: role, status in words by effect, markers in text, evidence labelled, formula.
    expect(await info!.locator('.formula code').textContent()).toBe('not X.I and (I or II)');
    expect(await statusOf(info!, 'I')).toBe('met');
    expect(await statusOf(info!, 'II')).toBe('not met');
    expect(await statusOf(info!, 'III')).toBe('not documented');
    expect(await statusOf(info!, 'X.I')).toBe('does not apply');
    expect(await statusOf(critical!, 'X.I')).toBe('applies');
    expect(await statusOf(warning!, 'X.I')).toBe('not documented');
    expect(await row(info!, 'I').locator('td.status').getAttribute('data-effect')).toBe('good');
    expect(await row(info!, 'II').locator('td.status').getAttribute('data-effect')).toBe('bad');
    expect(await row(info!, 'III').locator('td.status').getAttribute('data-effect')).toBe(
      'unknown',
    );
    expect(await row(info!, 'X.I').locator('.marker-approving').textContent()).toMatch(
      /approving branch/,
    );
    expect(await row(info!, 'II').locator('.marker').count()).toBe(0);
    expect(await row(critical!, 'X.I').locator('.marker-blocking').textContent()).toMatch(/blocks/);
    expect(await row(warning!, 'II').locator('.marker-document').textContent()).toMatch(
      /to document/,
    );
    expect(await row(warning!, 'II').locator('.to-document').textContent()).toMatch(
      /Record the II result/,
    );
    expect(await row(warning!, 'X.I').locator('.marker-document').count()).toBe(1);
    expect(await row(info!, 'I').locator('.criterion-evidence li').allTextContents()).toEqual([
      'Observation ecog-1',
      'Medication request draft-1',
    ]);
    expect(await row(info!, 'I').locator('td.criterion-detail').textContent()).toBe(
      'Criterion I detail',
    );
    expect(await critical!.locator('.off-label').count()).toBe(1);
    expect(await critical!.locator('.notes li').textContent()).toBe('A note from the evaluation.');
    // The instructions card: a plain card.
    expect(await instructions!.getAttribute('data-kind')).toBe('instructions');
    expect(await instructions!.locator('details.criteria').count()).toBe(0);
    expect(await instructions!.locator('.detail ol li').count()).toBe(2);
    // Override without a chosen reason is refused in the page; with one it is recorded.
    await info!.locator('button.override').click();
    expect(await info!.locator('.feedback-status').textContent()).toMatch(
      /Choose an override reason/,
    );
    await info!.locator('select.override-reason').selectOption({ label: 'Urgent clinical need' });
    await info!.locator('button.override').click();
    await info!.locator('.feedback-status.ok').waitFor();
    const stored = (await readFeedback()).find((f) => f.card === 'contract-info');
    expect(stored.overrideReason.reason).toEqual(REASONS[1]);
    expect(Date.parse(stored.outcomeTimestamp)).not.toBeNaN();
    await instructions!.locator('button.accept').click();
    await instructions!.locator('.feedback-status.ok').waitFor();
    for (const d of await page.locator('details.criteria').all())
      await d.locator('summary').click();
    expect((await pageOverflow()).scrollWidth).toBeLessThanOrEqual(
      (await pageOverflow()).clientWidth,
    );
    await fullPageShot('try-card-contract.png');
  });

  it('draws every badge, status and marker, and all other text, at 4.5:1 contrast or more', async () => {
    // The page as the previous test left it: every indicator, status and marker, criteria open.
    const badges = page.locator('article.card .indicator');
    expect(await badges.count()).toBeGreaterThanOrEqual(3);
    for (const badge of await badges.all()) {
      const c = await contrastOf(badge);
      expect({ ...c, ok: c.ratio >= 4.5 }).toMatchObject({ ok: true });
    }
    const effects = new Set<string>();
    for (const cell of await page.locator('td.status').all()) {
      effects.add((await cell.getAttribute('data-effect'))!);
      const c = await contrastOf(cell);
      expect({ ...c, ok: c.ratio >= 4.5 }).toMatchObject({ ok: true });
    }
    expect([...effects].sort()).toEqual(['bad', 'good', 'unknown']);
    for (const m of await page.locator('.marker').all()) {
      const c = await contrastOf(m);
      expect({ ...c, ok: c.ratio >= 4.5 }).toMatchObject({ ok: true });
    }
    expect(await lowContrastText()).toEqual([]);
  });

  it('degrades gracefully on the older criteria extension (no role, detail or formula)', async () => {
    await answerWith(OLD_RESPONSE);
    try {
      await clickSign();
    } finally {
      await page.unroute(`${base}/cds-services/${SERVICE_ID}`);
    }
    const card = page.locator('article.card').first();
    expect(await card.locator('.criteria-table tbody tr').count()).toBe(3);
    // An X… criterion without a role is read as an exclusion: met = applies (bad).
    expect(await row(card, 'X.I').locator('td.role').textContent()).toBe('exclusion');
    expect(await statusOf(card, 'X.I')).toBe('applies');
    expect(await row(card, 'X.I').locator('td.status').getAttribute('data-effect')).toBe('bad');
    expect(await statusOf(card, 'I')).toBe('met');
    expect(await statusOf(card, 'V')).toBe('not met');
    expect(await card.locator('.formula').count()).toBe(0);
    expect(await card.locator('select.override-reason').count()).toBe(0);
  });

  it('clears the previous result before showing an error: invalid JSON, a 4xx, a network error', async () => {
    const expected: RegExp[] = [];
    const cleared = async (message: RegExp) => {
      expect(await page.locator('article.card').count()).toBe(0);
      expect(await page.locator('.action').count()).toBe(0);
      expect(await page.locator('#status').textContent()).toMatch(message);
      expect(await page.locator('#cards .error-box').textContent()).toMatch(message);
      expect(await page.locator('#announce').textContent()).toMatch(/^Error: /);
      expect(await page.evaluate(() => document.activeElement?.id)).toBe('result-heading');
    };
    // Invalid JSON in the editor: nothing is sent.
    await signFor('demo-elrexfio-met');
    expect(await page.locator('article.card').count()).toBeGreaterThan(0);
    const good = await page.locator('#orders').inputValue();
    await page.locator('#orders').fill('{ not json');
    await clickSign();
    await cleared(/not valid JSON/);
    expect(await page.locator('#raw-response').textContent()).toBe('');
    expect(await page.locator('#orders').getAttribute('aria-invalid')).toBe('true');

    // A 400 from the service: an order for another patient.
    await page.locator('#orders').fill(good);
    await clickSign();
    expect(await page.locator('article.card').count()).toBeGreaterThan(0);
    await page
      .locator('#orders')
      .fill(good.replace(/Patient\/demo-elrexfio-met/g, 'Patient/other'));
    await clickSign();
    await cleared(/^HTTP 400: .*subject/);
    expect(await page.locator('#raw-response').textContent()).toMatch(/OperationOutcome/);
    expected.push(/^HTTP 400 for .*\/cds-services\//, /^console: Failed to load resource: .*400/);

    // The network fails.
    await page.locator('#orders').fill(good);
    await clickSign();
    expect(await page.locator('article.card').count()).toBeGreaterThan(0);
    await page.route(`${base}/cds-services/${SERVICE_ID}`, (route) => route.abort('failed'));
    try {
      await clickSign();
    } finally {
      await page.unroute(`${base}/cds-services/${SERVICE_ID}`);
    }
    await cleared(/^Request failed/);
    expect(await page.locator('#raw-response').textContent()).toBe('');
    expected.push(/^console: Failed to load resource: net::ERR_FAILED/);
    await fullPageShot('try-error.png');

    problems = problems.filter((p) => !expected.some((e) => e.test(p)));
    expect(problems).toEqual([]);
  });
});
