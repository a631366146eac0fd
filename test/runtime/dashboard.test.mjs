// The dashboard page in headless Chromium against a real supervisor (--http, with a full and
// a read-only token, so reads are guarded) on the test redis-server: the page asks for a
// token and keeps it, live numbers, depth per band, dead letters shown as text, the token
// flow for retry and purge, no console errors or failed requests, and "disconnected" once
// the server is gone. Saves test-artifacts/dashboard.png.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ApiGuard, TaskQueue } from '../../dist/index.js';
import { realRedisUrl, uniqueName } from '../helpers/backends.mjs';
import { requireChromium } from '../helpers/requirements.mjs';
import { eventually, killAll, sleep, startSupervisor } from '../helpers/supervisor.mjs';

const HANDLERS = fileURLToPath(new URL('../fixtures/handlers-dashboard.mjs', import.meta.url));
const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/', import.meta.url));
const TOKEN = `token-${Math.random().toString(36).slice(2)}`;
const READ_TOKEN = `read-${Math.random().toString(36).slice(2)}`;

/** "12,345" (any locale's grouping) → 12345. */
const parseCount = (text) => Number(String(text).replace(/[^\d]/g, ''));

const test = suite('dashboard in Chromium');
/** @type {{ sup: any, url: string, queue: TaskQueue, browser: import('playwright-core').Browser, page: import('playwright-core').Page, dir: string, problems: string[], unauthorized: string[], forbidden: string[], watching: boolean }} */
const ctx = { problems: [], unauthorized: [], forbidden: [], watching: true };

test.before(async () => {
  const executablePath = requireChromium();
  ctx.dir = mkdtempSync(join(tmpdir(), 'tasklane-dash-'));
  const name = uniqueName('dash');
  ctx.sup = startSupervisor(['--http', '127.0.0.1:0', '--http-token', TOKEN, '--http-read-token', READ_TOKEN, '--redis', realRedisUrl(), '--queue', name,
    '--handlers', HANDLERS, '--short', '2', '--long', '1', '--concurrency', '2', '--drain-timeout', '500ms']);
  const line = await ctx.sup.waitForLog((l) => l.msg === 'http listening', 20_000, 'http listening');
  ctx.url = line.url;
  ctx.queue = new TaskQueue({ redis: realRedisUrl(), name });
  ctx.queue.on('queue:warning', () => {});

  ctx.browser = await chromium.launch({ executablePath, headless: true });
  ctx.page = await ctx.browser.newPage({ viewport: { width: 1280, height: 800 } });
  const { page } = ctx;
  // Everything that goes wrong in the page is collected and asserted empty at the end; the
  // 401s of reads before a token is entered and the 403 of the read-only token's retry are
  // recorded apart, and checked to be exactly those.
  page.on('pageerror', (err) => ctx.watching && ctx.problems.push(`pageerror: ${err.message}`));
  page.on('console', (msg) => {
    if (!ctx.watching || msg.type() !== 'error') return;
    if (/status of 401/.test(msg.text())) ctx.unauthorized.push(msg.text());
    else if (/status of 403/.test(msg.text())) ctx.forbidden.push(msg.text());
    else ctx.problems.push(`console: ${msg.text()}`);
  });
  page.on('requestfailed', (req) => ctx.watching && ctx.problems.push(`requestfailed: ${req.method()} ${req.url()} ${req.failure()?.errorText}`));
  page.on('response', (res) => {
    if (!ctx.watching || res.status() < 400) return;
    if (res.status() === 401) ctx.unauthorized.push(`${res.request().method()} ${res.url()}`);
    else if (res.status() === 403) ctx.forbidden.push(`${res.request().method()} ${res.url()}`);
    else ctx.problems.push(`HTTP ${res.status()}: ${res.request().method()} ${res.url()}`);
  });
});

test.after(async () => {
  await ctx.browser?.close();
  await ctx.queue?.close();
  await ctx.sup?.stop('SIGKILL');
  killAll();
  rmSync(ctx.dir, { recursive: true, force: true });
});

const text = (selector) => ctx.page.locator(selector).textContent();
const deadRow = (id) => ctx.page.locator('#dead tr').filter({ hasText: id });

test('the page loads without a token, asks for one when reads answer 401, and goes live with the read-only token', async () => {
  const { page } = ctx;
  const response = await page.goto(ctx.url);
  assert.is(response?.status(), 200);
  // Served under a policy without inline script: a violation would show up as a console error.
  assert.match(response.headers()['content-security-policy'] ?? '', /default-src 'self'/);
  await page.locator('#conn', { hasText: 'token needed' }).waitFor({ timeout: 10_000 });
  assert.ok(await page.locator('#token.invalid').isVisible(), 'the token field is not offered and flagged');
  assert.match(await text('#notice'), /needs a token to show the queue/);
  assert.is(await text('#queue'), '…', 'queue data shown without a token');
  assert.ok(ctx.unauthorized.some((u) => /GET .*\/overview$/.test(u)), 'the refused overview was not seen');
  // It keeps asking (polling goes on) until a token is entered.
  const refused = ctx.unauthorized.length;
  await eventually(async () => ctx.unauthorized.length > refused, { what: 'a second refused poll' });

  await page.locator('#token').fill(READ_TOKEN);
  await page.locator('#conn', { hasText: 'live' }).waitFor({ timeout: 10_000 });
  // The task list, refused before the token, loads once the token is accepted.
  await eventually(async () => (await text('#tasks-status')) === '', { what: 'the task list to load with the token' });
  assert.is(await text('#queue'), ctx.queue.name);
  assert.ok(await page.locator('#notice').isHidden(), 'the token request stayed on screen');
  assert.ok(await page.locator('#token').isVisible(), 'token field hidden although the server wants a token');
  assert.is(await page.locator('#token.invalid').count(), 0);
  // Kept for the tab: a reload goes live without asking again. (A poll in flight when the
  // page unloads is aborted, which is not a problem: the collectors pause meanwhile.)
  const statuses = [];
  const onResponse = (res) => { if (res.url().endsWith('/overview')) statuses.push(res.status()); };
  ctx.watching = false;
  await page.reload();
  page.on('response', onResponse);
  await page.locator('#conn', { hasText: 'live' }).waitFor({ timeout: 10_000 });
  ctx.watching = true;
  page.off('response', onResponse);
  assert.is(await page.locator('#token').inputValue(), READ_TOKEN);
  assert.ok(statuses.length >= 1 && statuses.every((st) => st === 200), `overview after the reload: ${statuses.join(', ')}`);
});

test('the workers table lists the supervisor\'s worker slots', async () => {
  // The workers table lists the supervisor's worker slots, each running.
  await eventually(async () => (await ctx.page.locator('#workers tr').count()) === 2, { what: 'two worker rows' });
  await ctx.page.locator('#workers .pill', { hasText: 'running' }).nth(1).waitFor({ timeout: 10_000 });
});

test('the external API panel shows the shared breaker, and an operator\'s hold on it', async () => {
  await ctx.page.locator('#api-breaker', { hasText: 'closed' }).waitFor({ timeout: 10_000 });
  const guard = new ApiGuard({ redis: ctx.queue.redis, queue: ctx.queue.name });
  await guard.force('open');
  try {
    await ctx.page.locator('#api-breaker', { hasText: 'held open' }).waitFor({ timeout: 10_000 });
  } finally {
    await guard.force('auto');
  }
  await ctx.page.locator('#api-breaker', { hasText: 'closed' }).waitFor({ timeout: 10_000 });
});

test('the numbers move while tasks are enqueued and completed', async () => {
  await ctx.queue.enqueueMany(Array.from({ length: 20 }, (_, i) => ({ type: 'work', payload: { ms: 5 }, priority: i % 3 === 0 ? 5 : 1000 })));
  const first = await eventually(async () => parseCount(await text('#kpi-completed')) || null, { what: 'a completed count on the page' });
  await ctx.queue.enqueueMany(Array.from({ length: 30 }, () => ({ type: 'work', payload: { ms: 5 } })));
  const second = await eventually(async () => {
    const n = parseCount(await text('#kpi-completed'));
    return n > first ? n : null;
  }, { what: `the completed count to rise above ${first}` });
  assert.ok(second >= first + 1);
  // The chart's legend totals the window: the completions show up in the throughput series.
  await eventually(async () => parseCount(await ctx.page.locator('#legend b').first().textContent()) >= 20, { what: 'throughput to count the completions' });
  // Latency percentiles are measured once tasks ran.
  await eventually(async () => (await text('#lat-run-p50')) !== '—', { what: 'a run-time p50' });
});

test('depth per lane and priority band matches the queue', async () => {
  // One long actor runs 2 at a time (--concurrency 2); these sleep for a minute, so the
  // rest stay waiting in the long lane's "urgent" band (priority 0–9).
  await ctx.queue.enqueueMany(Array.from({ length: 6 }, () => ({ type: 'work', lane: 'long', priority: 3, payload: { ms: 60_000 } })));
  await ctx.queue.enqueue({ type: 'work', payload: {}, delayMs: 600_000 });
  await eventually(async () => {
    const stats = await ctx.queue.stats();
    const urgent = ctx.page.locator('#bands tr').filter({ hasText: 'urgent' }).locator('td .num');
    const [short, long] = await urgent.allTextContents();
    return stats.waiting.long > 0 && parseCount(long) === stats.waiting.long && parseCount(short) === 0
      && parseCount(await text('#kpi-waiting-long')) === stats.waiting.long && parseCount(await text('#kpi-delayed')) === 1;
  }, { what: 'the long lane urgent band to show the waiting long tasks' });
});

test('dead letters show their error as text, with attempts', async () => {
  ctx.gated = `gate:<b>${uniqueName('x')}</b>`;
  ctx.poison = `poison-${uniqueName('p')}`;
  ctx.unlock = join(ctx.dir, 'unlock');
  await ctx.queue.enqueue({ id: ctx.gated, type: 'gated', payload: { unlock: ctx.unlock }, maxAttempts: 3 });
  await ctx.queue.enqueue({ id: ctx.poison, type: 'poison', maxAttempts: 4 });
  const row = deadRow(ctx.gated);
  await row.waitFor({ timeout: 15_000 });
  await deadRow(ctx.poison).waitFor({ timeout: 15_000 });
  const cells = await row.locator('td').allTextContents();
  assert.is(cells[0], ctx.gated, 'the id is shown verbatim, markup and all');
  assert.is(cells[3], '1 / 3');
  assert.ok(cells[4].includes(`gate closed <img src=x onerror="window.__xss=1"> for ${ctx.gated}`), `error cell: ${cells[4]}`);
  assert.ok(cells[4].includes('NON_RETRYABLE'), `error code missing: ${cells[4]}`);
  assert.is((await deadRow(ctx.poison).locator('td').allTextContents())[3], '1 / 4');
  // Nothing in the data became markup.
  assert.is(await ctx.page.locator('#dead img, #dead b').count(), 0);
  assert.is(await ctx.page.evaluate(() => window.__xss), undefined);
  assert.is(parseCount(await text('#kpi-dead')), 2);

  mkdirSync(ARTIFACTS, { recursive: true });
  await sleep(1200); // one more poll, so the chart and totals include the last tasks
  await ctx.page.screenshot({ path: join(ARTIFACTS, 'dashboard.png'), fullPage: true });
});

test('retry with the read-only token is refused (403, said on the page); with the full token the task leaves the dead list and completes', async () => {
  const { page } = ctx;
  await deadRow(ctx.gated).getByRole('button', { name: 'Retry' }).click();
  await page.locator('#notice', { hasText: 'read-only' }).waitFor({ timeout: 5000 });
  assert.match(await text('#notice'), /Could not retry/);
  assert.is((await ctx.queue.get(ctx.gated))?.state, 'dead');
  // The page names the id in the query (`/dead/retry?id=…`): a path segment `.` would not survive the browser.
  assert.ok(ctx.forbidden.some((u) => u === `POST ${ctx.url}/dead/retry?id=${encodeURIComponent(ctx.gated)}`), `the refused request was not seen: ${ctx.forbidden}`);

  writeFileSync(ctx.unlock, 'open');
  await page.locator('#token').fill(TOKEN);
  assert.is(await page.evaluate(() => sessionStorage.getItem('tasklane.token')), TOKEN);
  const before = ctx.unauthorized.length + ctx.forbidden.length;
  await deadRow(ctx.gated).getByRole('button', { name: 'Retry' }).click();
  await deadRow(ctx.gated).waitFor({ state: 'detached', timeout: 5000 });
  await eventually(async () => (await ctx.queue.get(ctx.gated))?.state === 'completed', { what: 'the replayed task to complete' });
  assert.is(ctx.unauthorized.length + ctx.forbidden.length, before, 'the token was not sent');
  assert.match(await text('#notice'), /Retried/);
});

test('purge asks for a second click, then deletes the dead letter', async () => {
  const purge = deadRow(ctx.poison).getByRole('button', { name: /Purge|Confirm/ });
  await purge.click();
  assert.is(await purge.textContent(), 'Confirm');
  // A refresh in between must not lose the confirmation: wait until the page has rendered a
  // newer overview (its time is shown to the second), well within the 4 s confirmation.
  const updated = await text('#updated');
  await ctx.page.waitForFunction((before) => document.getElementById('updated')?.textContent !== before, updated, { timeout: 3000 });
  assert.is(await purge.textContent(), 'Confirm');
  assert.is((await ctx.queue.get(ctx.poison))?.state, 'dead');
  await purge.click();
  await deadRow(ctx.poison).waitFor({ state: 'detached', timeout: 5000 });
  assert.is(await ctx.queue.get(ctx.poison), null);
  await ctx.page.locator('#dead-empty').waitFor({ timeout: 5000 });
});

test('"Retry all" replays every dead letter', async () => {
  const unlock = join(ctx.dir, 'unlock-all');
  const ids = [`all-a-${uniqueName()}`, `all-b-${uniqueName()}`];
  await ctx.queue.enqueueMany(ids.map((id) => ({ id, type: 'gated', payload: { unlock } })));
  for (const id of ids) await deadRow(id).waitFor({ timeout: 15_000 });
  writeFileSync(unlock, 'open');
  await ctx.page.locator('#retry-all').click();
  await ctx.page.locator('#notice', { hasText: 'Retried 2 dead letters' }).waitFor({ timeout: 5000 });
  await ctx.page.locator('#dead-empty').waitFor({ timeout: 5000 });
  await eventually(async () => (await Promise.all(ids.map((id) => ctx.queue.get(id)))).every((t) => t?.state === 'completed'), { what: 'both replays to complete' });
});

test('no console errors, no failed requests, no horizontal scroll at 1280×800', async () => {
  assert.equal(ctx.problems, []);
  // Exactly the reads refused before a token was entered (the overview's polls and the task
  // list's first page) and the read-only token's retry: their responses and Chromium's
  // console lines about them.
  assert.ok(ctx.unauthorized.every((u) => /status of 401|GET .*\/overview$|GET .*\/tasks\?state=waiting&limit=25$/.test(u)), ctx.unauthorized.join('\n'));
  assert.ok(ctx.forbidden.length >= 1 && ctx.forbidden.every((u) => /status of 403/.test(u) || u === `POST ${ctx.url}/dead/retry?id=${encodeURIComponent(ctx.gated)}`), ctx.forbidden.join('\n'));
  const width = await ctx.page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= 1280, `page is ${width}px wide`);
});

test('when the server goes away the page says disconnected, and keeps the last data', async () => {
  ctx.watching = false; // failed polls are the point now
  await ctx.sup.stop('SIGTERM');
  await ctx.page.locator('#conn', { hasText: 'disconnected' }).waitFor({ timeout: 10_000 });
  assert.match(await text('#updated'), /retrying/);
  assert.ok(parseCount(await text('#kpi-completed')) > 0);
});

test.run();
