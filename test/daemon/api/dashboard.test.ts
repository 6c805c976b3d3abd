// The dashboard (GET /) in headless Chromium (Debian `chromium`, driven by playwright-core) in front of a real
// in-process gateway: it loads without console errors, its numbers move as batches flow, it asks for the token
// when one is set and keeps it for the session, it fits a phone, its charts open with recent history, and an
// alert that fires can be silenced from it (desktop and phone). Screenshots go to .tmp/screenshots/ (ignored
// by git) or $SLUICE_SCREENSHOTS.
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Fastify from 'fastify';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { registerDashboard } from '../../../daemon/api/dashboard.js';
import { waitFor } from '../../support/wait.js';
import { startHarness, type Harness } from './harness.js';

const CHROMIUM = '/usr/bin/chromium';
const TOKEN = 'dashboard-token-0123456789abcdef';

let browser: BrowserContext | undefined;
let profile: string;
let shots: string;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `${CHROMIUM} is missing: the dashboard test needs Debian's Chromium. Install it with: apt-get install -y chromium`,
    );
  }
  profile = await mkdtemp(path.join(tmpdir(), 'sluice-chromium-'));
  shots =
    process.env.SLUICE_SCREENSHOTS ?? fileURLToPath(new URL('../../../.tmp/screenshots', import.meta.url));
  await mkdir(shots, { recursive: true });
  // A persistent context is how playwright takes a --user-data-dir: a fresh profile per run.
  browser = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await rm(profile, { recursive: true, force: true });
});

/** A page that records every console error, page error and failed request. */
async function openPage(
  viewport = { width: 1280, height: 900 },
): Promise<{ page: Page; problems: string[] }> {
  if (browser === undefined) throw new Error('chromium did not start');
  // Every page is a new tab: its own sessionStorage.
  const page = await browser.newPage();
  await page.setViewportSize(viewport);
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('requestfailed', (r) => {
    // The event stream is cut when the page closes; anything else failing is a problem.
    if (!r.url().endsWith('/api/v1/events')) problems.push(`request failed: ${r.url()}`);
  });
  page.on('response', (r) => {
    if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`);
  });
  return { page, problems };
}

const number = async (page: Page, testId: string): Promise<number> =>
  Number((await page.getByTestId(testId).innerText()).replace(/[^0-9.]/g, ''));

describe('dashboard without a token', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h.close();
  });

  test('loads with no console errors and shows live numbers that change as batches flow', async () => {
    const { page, problems } = await openPage();
    const res = await page.goto(h.url);
    expect(res?.status()).toBe(200);
    expect(res?.headers()['content-security-policy']).toContain("script-src 'self'");
    await expect.poll(() => page.getByTestId('gateway').innerText()).toBe('api-test');
    await expect.poll(() => page.getByTestId('phase').innerText()).toBe('ready');
    await expect.poll(() => page.getByTestId('live').innerText()).toBe('live');

    // The batch counter is fed by the event stream: it must keep moving.
    await expect.poll(() => number(page, 'batches'), { timeout: 10_000 }).toBeGreaterThanOrEqual(2);
    const first = await number(page, 'batches');
    await expect.poll(() => number(page, 'batches'), { timeout: 10_000 }).toBeGreaterThan(first);
    await expect.poll(() => number(page, 'rate'), { timeout: 10_000 }).toBeGreaterThan(0);

    // Receivers with their state and a growing record count, the sink with its backlog.
    const receiver = page.locator('tr[data-receiver="sensors"]');
    await expect.poll(() => receiver.innerText()).toContain('connected');
    const records = async (): Promise<number> =>
      Number(((await receiver.locator('td').nth(3).innerText()) || '0').replace(/[^0-9]/g, ''));
    const before = await records();
    await expect.poll(records, { timeout: 10_000 }).toBeGreaterThan(before);
    await expect.poll(() => page.locator('tr[data-sink="results"]').innerText()).toContain('connected');

    // Latest results of the pipeline: one row per sensor key with the aggregates as columns.
    const pipeline = page.locator('[data-pipeline="climate"]');
    await expect.poll(() => pipeline.locator('tbody tr').count(), { timeout: 10_000 }).toBeGreaterThan(0);
    expect(await pipeline.locator('thead').innerText()).toMatch(/n\s+temp_avg/);

    // The charts are drawn (uPlot canvases) and the alerts area says there are none.
    expect(await page.locator('#chart-rate canvas').count()).toBe(1);
    expect(await page.locator('#chart-delay canvas').count()).toBe(1);
    expect(await page.getByTestId('alerts').innerText()).toBe('No alerts.');

    const file = path.join(shots, 'dashboard.png');
    await page.screenshot({ path: file, fullPage: true });
    expect((await stat(file)).size).toBeGreaterThan(10_000);
    expect(problems).toEqual([]);
    await page.close();
  }, 60_000);

  test('fits a phone: no horizontal scrolling of the page', async () => {
    const { page, problems } = await openPage({ width: 390, height: 844 });
    await page.goto(h.url);
    await expect.poll(() => number(page, 'batches'), { timeout: 10_000 }).toBeGreaterThanOrEqual(1);
    await expect.poll(() => page.locator('[data-pipeline="climate"] tbody tr').count()).toBeGreaterThan(0);
    // A string: this file is compiled without the DOM library.
    const overflow = Number(
      await page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth'),
    );
    expect(overflow).toBeLessThanOrEqual(0);
    await page.screenshot({ path: path.join(shots, 'dashboard-phone.png'), fullPage: true });
    expect(problems).toEqual([]);
    await page.close();
  }, 60_000);
});

describe('dashboard with a token', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness('api: { token: "${SLUICE_API_TOKEN}" }\n', { SLUICE_API_TOKEN: TOKEN });
  });
  afterAll(async () => {
    await h.close();
  });

  test('asks for the token once, then streams with it and keeps it for the session', async () => {
    const { page, problems } = await openPage();
    await page.goto(h.url);
    const form = page.locator('#login');
    await form.waitFor({ state: 'visible' });
    expect(await page.locator('#board').isHidden()).toBe(true);
    // The page knew a token is needed (a meta tag from the server): it asked before any request failed.
    expect(problems).toEqual([]);
    expect(await page.locator('#login-error').innerText()).toBe('');

    // A wrong token is refused and the form says so.
    await page.locator('#token').fill('wrong-token');
    await page.locator('#login button').click();
    await expect.poll(() => page.locator('#login-error').innerText()).toContain('refused');
    // The refused token's 401 is the only problem so far.
    expect(problems.length).toBeGreaterThan(0);
    expect(problems.every((p) => p.includes('401'))).toBe(true);
    problems.length = 0;

    await page.locator('#token').fill(TOKEN);
    await page.locator('#login button').click();
    await page.locator('#board').waitFor({ state: 'visible' });
    await expect.poll(() => page.getByTestId('live').innerText()).toBe('live');
    const first = await number(page, 'batches');
    await expect.poll(() => number(page, 'batches'), { timeout: 10_000 }).toBeGreaterThan(first);

    // A reload in the same tab does not ask again (sessionStorage), and the token never goes into a URL.
    const urls: string[] = [];
    page.on('request', (r) => urls.push(r.url()));
    await page.reload();
    await page.locator('#board').waitFor({ state: 'visible' });
    await expect.poll(() => page.getByTestId('live').innerText()).toBe('live');
    expect(await form.isHidden()).toBe(true);
    expect(urls.some((u) => u.includes(TOKEN))).toBe(false);
    expect(urls.some((u) => u.endsWith('/api/v1/events'))).toBe(true);
    await page.screenshot({ path: path.join(shots, 'dashboard-token.png') });
    expect(problems.filter((p) => !p.includes('/api/v1/events'))).toEqual([]);
    await page.close();
  }, 60_000);

  test('serves the page without a token but no data without one', async () => {
    expect((await fetch(h.url)).status).toBe(200);
    expect((await fetch(`${h.url}/dashboard/app.js`)).status).toBe(200);
    expect((await fetch(`${h.url}/api/v1/status`)).status).toBe(401);
    expect((await fetch(`${h.url}/api/v1/events`)).status).toBe(401);
  });
});

describe('alerts in the dashboard', () => {
  let h: Harness;
  beforeAll(async () => {
    // `warm` fires for every sensor when the first 1 s window closes.
    h = await startHarness(
      `api: { token: "\${SLUICE_API_TOKEN}" }
alerts:
  warm:
    from: climate
    when: n > 0
    severity: critical
    notify: [results]
`,
      { SLUICE_API_TOKEN: TOKEN },
    );
  });
  afterAll(async () => {
    await h.close();
  });

  const login = async (page: Page): Promise<void> => {
    await page.goto(h.url);
    await page.locator('#token').fill(TOKEN);
    await page.locator('#login button').click();
    await page.locator('#board').waitFor({ state: 'visible' });
  };
  const card = (page: Page, key: string) =>
    page.locator(`article[data-alert="warm"][data-key="${key}"][data-state="firing"]`);

  test('the charts open with recent batches; a firing alert is silenced with the token and shows as silenced', async () => {
    await waitFor('five batches before the page opens', () =>
      h.gateway.status().batches.length >= 5 ? true : undefined,
    );
    const { page, problems } = await openPage();
    await login(page);
    // The charts hold the batches the API kept, not only those streamed since the page opened.
    const head = Number(
      await page.evaluate(
        "Number(document.getElementById('chart-rate').dataset.points ?? 0) - Number(document.getElementById('batches').textContent.replace(/[^0-9]/g, ''))",
      ),
    );
    expect(head).toBeGreaterThanOrEqual(5);

    const s1 = card(page, 's-1');
    await s1.waitFor({ state: 'visible', timeout: 15_000 });
    expect(await page.getByTestId('alerts-count').innerText()).toBe('5');
    expect(await s1.innerText()).toContain('critical');
    await s1.locator('.silence-button').click();
    const form = s1.getByTestId('silence-form');
    await form.waitFor({ state: 'visible' });
    await form.locator('select').selectOption('1h');
    await form.locator('input[name="comment"]').fill('checking the fan');
    await form.locator('button[type="submit"]').click();

    await expect.poll(() => s1.getByTestId('silenced').innerText()).toMatch(/^Silenced until /);
    const listed = page.getByTestId('silences').locator('li');
    await expect.poll(() => listed.innerText()).toContain('warm · s-1 · until');
    expect(await listed.innerText()).toContain('checking the fan');
    // The other keys are still loud, and the API agrees with the page.
    expect(await card(page, 's-2').locator('.silence-button').count()).toBe(1);
    const res = await fetch(`${h.url}/api/v1/silences`, { headers: { authorization: `Bearer ${TOKEN}` } });
    const { silences } = (await res.json()) as {
      silences: { alert: string; key: string; comment: string; expiresMs: number; createdMs: number }[];
    };
    expect(silences).toEqual([
      expect.objectContaining({ alert: 'warm', key: 's-1', comment: 'checking the fan' }),
    ]);
    expect(silences[0] && silences[0].expiresMs - silences[0].createdMs).toBe(3600_000);
    expect(await page.getByTestId('alert-history').innerText()).toContain('warm · s-');

    await page.screenshot({ path: path.join(shots, 'dashboard-alerts.png'), fullPage: true });
    expect(problems).toEqual([]);
    await page.close();
  }, 60_000);

  test('on a phone: alerts, the silence form and the silences fit the screen, and a silence can be removed', async () => {
    const { page, problems } = await openPage({ width: 390, height: 844 });
    await login(page);
    const s2 = card(page, 's-2');
    await s2.waitFor({ state: 'visible', timeout: 15_000 });
    await s2.locator('.silence-button').click();
    await s2.getByTestId('silence-form').waitFor({ state: 'visible' });
    const overflow = async (): Promise<number> =>
      Number(
        await page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth'),
      );
    expect(await overflow()).toBeLessThanOrEqual(0);
    await page.screenshot({ path: path.join(shots, 'dashboard-alerts-phone.png'), fullPage: true });
    await s2.locator('.cancel').click();

    // The silence made on the desktop is listed here too; Remove ends it and s-1 gets its button back.
    const item = page.getByTestId('silences').locator('li');
    await expect.poll(() => item.count()).toBe(1);
    await item.locator('button.remove').click();
    await expect.poll(() => page.getByTestId('silences').innerText()).toBe('No silences.');
    await card(page, 's-1').locator('.silence-button').waitFor({ state: 'visible' });
    expect(await overflow()).toBeLessThanOrEqual(0);
    expect(problems).toEqual([]);
    await page.close();
  }, 60_000);
});

describe('dashboard files missing', () => {
  test('GET / answers 503 with a hint, and the rest of the API is unaffected', async () => {
    const app = Fastify({ logger: false });
    registerDashboard(app, { dir: path.join(tmpdir(), 'sluice-no-such-dashboard') });
    app.get('/healthz', () => ({ status: 'ok' }));
    const page = await app.inject({ method: 'GET', url: '/' });
    expect(page.statusCode).toBe(503);
    const body = page.json<{ error: string; hint: string }>();
    expect(body.error).toBe('SLUICE_API_UNAVAILABLE');
    expect(body.hint).toContain('reinstall');
    expect((await app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    await app.close();
  });
});
