// The dashboard's task browser in headless Chromium, against an operator server (with a token)
// in this process on the test redis-server: a tab per state, paging through waiting tasks in
// claim order, opening a task by a row or by id (payload, result, error, attempts, times, owner,
// all as text), and cancelling a waiting task (401 without the token, done with it).
import { chromium } from 'playwright-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createOperatorServer, TaskQueue } from '../../dist/index.js';
import { realRedisUrl, uniqueName } from '../helpers/backends.mjs';

const CHROMIUM = '/usr/bin/chromium';
const TOKEN = `token-${Math.random().toString(36).slice(2)}`;
const WAITING = Array.from({ length: 60 }, (_, i) => `w${String(i).padStart(2, '0')}`);

const test = suite('dashboard task browser in Chromium');
const ctx = { problems: [], expected: [] };

test.before(async () => {
  ctx.queue = new TaskQueue({ redis: realRedisUrl(), name: uniqueName('dash-tasks') });
  ctx.queue.on('queue:warning', () => {});
  const q = ctx.queue;
  // One task in each state, in the long lane, so the short lane holds only the paged ones.
  await q.enqueue({ id: 'act', lane: 'long', priority: 0, type: 'report', payload: { n: 1 } });
  await q.claim('long', { max: 1, leaseMs: 600_000, owner: 'worker-a' });
  await q.enqueue({ id: 'done', lane: 'long', priority: 0, type: 'report', payload: { month: '2026-11' } });
  const [done] = await q.claim('long', { max: 1, leaseMs: 600_000, owner: 'worker-d' });
  await q.complete(done, { rows: 42 });
  await q.enqueue({ id: 'doomed', lane: 'long', priority: 0, type: 'mail', payload: { html: '<img src=x onerror="window.__xss=1">' } });
  const [doomed] = await q.claim('long', { max: 1, leaseMs: 600_000, owner: 'worker-x' });
  await q.fail(doomed, new Error('refused <b>bold</b> <img src=x onerror="window.__xss=1">'), { retryable: false });
  await q.enqueue({ id: 'later', delayMs: 600_000, type: 'mail' });
  await q.enqueueMany(WAITING.map((id, i) => ({ id, priority: 10, type: 'mail', payload: { i } })));
  await q.enqueue({ id: 'first-long', lane: 'long', priority: 1 });

  ctx.server = createOperatorServer({ queue: q, port: 0, token: TOKEN });
  ctx.url = (await ctx.server.listen()).url;
  try {
    ctx.browser = await chromium.launch({ executablePath: CHROMIUM, headless: true });
  } catch (err) {
    throw new Error(`Chromium did not start from ${CHROMIUM} (install it: apt-get install chromium): ${err.message}`);
  }
  ctx.page = await ctx.browser.newPage({ viewport: { width: 1280, height: 900 } });
  const { page } = ctx;
  // Everything that goes wrong is collected and asserted empty at the end, but for the refusals
  // these tests provoke on purpose (a 401 cancel, a 404 lookup), which are recorded apart.
  const expected = (text) => /401|404/.test(text);
  page.on('pageerror', (err) => ctx.problems.push(`pageerror: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() !== 'error') return;
    if (expected(msg.text())) ctx.expected.push(msg.text());
    else ctx.problems.push(`console: ${msg.text()}`);
  });
  page.on('requestfailed', (req) => ctx.problems.push(`requestfailed: ${req.method()} ${req.url()} ${req.failure()?.errorText}`));
  page.on('response', (res) => {
    if (res.status() < 400) return;
    const line = `${res.status()} ${res.request().method()} ${res.url()}`;
    if (expected(String(res.status()))) ctx.expected.push(line);
    else ctx.problems.push(`HTTP ${line}`);
  });
  const response = await page.goto(ctx.url);
  assert.is(response?.status(), 200);
  await page.locator('#conn', { hasText: 'live' }).waitFor({ timeout: 10_000 });
});

test.after(async () => {
  await ctx.browser?.close();
  await ctx.server?.close();
  await ctx.queue?.close();
});

const rowIds = () => ctx.page.locator('#tasks-rows tr td:first-child').allTextContents();
const tab = (name) => ctx.page.locator('#tasks-tabs').getByRole('tab', { name });

/** Waits until the page of rows is `ids`, exactly. */
async function expectRows(ids, what) {
  try {
    await ctx.page.waitForFunction((want) => {
      const got = [...document.querySelectorAll('#tasks-rows tr td:first-child')].map((td) => td.textContent);
      return got.length === want.length && got.every((id, i) => id === want[i]);
    }, ids, { timeout: 5000 });
  } catch {
    assert.equal(await rowIds(), ids, what);
  }
}

test('waiting: pages of 25 in claim order, both lanes merged; Next and Previous', async () => {
  const order = ['first-long', ...WAITING];
  await expectRows(order.slice(0, 25), 'first page');
  assert.ok(await ctx.page.locator('#tasks-prev').isDisabled());
  assert.is(await ctx.page.locator('#tasks-page').textContent(), 'page 1');
  await ctx.page.locator('#tasks-next').click();
  await expectRows(order.slice(25, 50), 'second page');
  await ctx.page.locator('#tasks-next').click();
  await expectRows(order.slice(50), 'last page');
  assert.ok(await ctx.page.locator('#tasks-next').isDisabled(), 'Next enabled on the last page');
  await ctx.page.locator('#tasks-prev').click();
  await expectRows(order.slice(25, 50), 'back to the second page');
  // The lane filter: the long lane alone holds one waiting task.
  await ctx.page.locator('#tasks-lane').selectOption('long');
  await expectRows(['first-long'], 'long lane');
  await ctx.page.locator('#tasks-lane').selectOption('');
  await expectRows(order.slice(0, 25), 'both lanes again, from the first page');
  // The type filter: only first-long has the default type.
  await ctx.page.locator('#tasks-type').fill('http');
  await ctx.page.locator('#tasks-type').press('Enter');
  await expectRows(['first-long'], 'type http');
  await ctx.page.locator('#tasks-type').fill('');
  await ctx.page.locator('#tasks-filter').getByRole('button', { name: 'Filter' }).click();
  await expectRows(order.slice(0, 25), 'no type filter');
});

test('every state has its tab, with its own time column', async () => {
  const cases = [['Delayed', ['later'], 'Due'], ['Active', ['act'], 'Lease ends'], ['Completed', ['done'], 'Finished'], ['Dead', ['doomed'], 'Died']];
  for (const [name, ids, when] of cases) {
    await tab(name).click();
    await expectRows(ids, name);
    assert.is(await tab(name).getAttribute('aria-selected'), 'true');
    assert.is(await ctx.page.locator('#tasks-when').textContent(), when);
  }
  assert.match(await ctx.page.locator('#tasks-rows tr').first().textContent(), /refused <b>bold<\/b> <img/);
  await tab('Active').click();
  await expectRows(['act'], 'active again');
  assert.match(await ctx.page.locator('#tasks-rows tr').first().textContent(), /worker-a/);
  assert.is(await ctx.page.locator('#tasks-rows img, #tasks-rows b').count(), 0);
});

test('a task opens from its row: payload, result, attempts, timestamps and lease owner', async () => {
  await tab('Completed').click();
  await expectRows(['done'], 'completed');
  await ctx.page.locator('#tasks-rows').getByRole('button', { name: 'done' }).click();
  const detail = ctx.page.locator('#task-detail');
  await detail.locator('#task-detail-state', { hasText: 'completed' }).waitFor({ timeout: 5000 });
  assert.is(await ctx.page.locator('#task-detail-id').textContent(), 'done');
  assert.equal(JSON.parse(await ctx.page.locator('#task-payload').textContent()), { month: '2026-11' });
  assert.equal(JSON.parse(await ctx.page.locator('#task-result').textContent()), { rows: 42 });
  const fields = await detail.locator('dl').evaluate((dl) => Object.fromEntries([...dl.querySelectorAll('dt')].map((dt) => [dt.textContent, dt.nextElementSibling.textContent])));
  assert.is(fields.Attempts, '1 / 5');
  assert.is(fields['Lease owner'], 'worker-d');
  assert.is(fields.Type, 'report');
  for (const key of ['Created', 'Started', 'Finished']) assert.is.not(fields[key], '—', `${key} missing`);
  assert.not.ok(await ctx.page.locator('#task-cancel').isVisible(), 'a completed task offers Cancel');
});

test('the go-to box opens any id; errors and payloads are text; an unknown id says so', async () => {
  await ctx.page.locator('#task-goto-id').fill('doomed');
  await ctx.page.locator('#task-goto-id').press('Enter');
  await ctx.page.locator('#task-detail-state', { hasText: 'dead' }).waitFor({ timeout: 5000 });
  const error = JSON.parse(await ctx.page.locator('#task-error').textContent());
  assert.is(error.message, 'refused <b>bold</b> <img src=x onerror="window.__xss=1">');
  assert.equal(JSON.parse(await ctx.page.locator('#task-payload').textContent()), { html: '<img src=x onerror="window.__xss=1">' });
  assert.is(await ctx.page.locator('#task-detail img, #task-detail b').count(), 0);
  assert.is(await ctx.page.evaluate(() => window.__xss), undefined);

  await ctx.page.locator('#task-goto-id').fill('ghost');
  await ctx.page.getByRole('button', { name: 'Open', exact: true }).click();
  await ctx.page.locator('#task-detail-note', { hasText: 'No task `ghost`' }).waitFor({ timeout: 5000 });
  assert.not.ok(await ctx.page.locator('#task-detail-state').isVisible());
});

test('cancel a waiting task: 401 without the token, then cancelled with it, and gone from the tab', async () => {
  const { page } = ctx;
  await tab('Waiting').click();
  await expectRows(['first-long', ...WAITING].slice(0, 25), 'waiting');
  await page.locator('#tasks-rows').getByRole('button', { name: 'w05', exact: true }).click();
  await page.locator('#task-detail-state', { hasText: 'waiting' }).waitFor({ timeout: 5000 });
  const cancel = page.locator('#task-cancel');
  await cancel.click();
  assert.is(await cancel.textContent(), 'Confirm cancel');
  await cancel.click();
  await page.locator('#notice', { hasText: '401' }).waitFor({ timeout: 5000 });
  assert.is((await ctx.queue.get('w05')).state, 'waiting');
  const refused = ctx.expected.filter((line) => /401/.test(line)).length;
  assert.ok(refused >= 1, 'the refused cancel was not seen');

  await page.locator('#token').fill(TOKEN);
  await cancel.click();
  await cancel.click();
  await page.locator('#notice', { hasText: 'Cancelled w05.' }).waitFor({ timeout: 5000 });
  await page.locator('#task-detail-state', { hasText: 'cancelled' }).waitFor({ timeout: 5000 });
  assert.is((await ctx.queue.get('w05')).state, 'cancelled');
  assert.not.ok(await cancel.isVisible(), 'Cancel still offered on a cancelled task');
  await expectRows(['first-long', ...WAITING.filter((id) => id !== 'w05')].slice(0, 25), 'w05 left the waiting tab');
  assert.is(ctx.expected.filter((line) => /401/.test(line)).length, refused, 'the token was not sent');

  // A delayed task is cancellable too; an active one is not offered the button.
  await page.locator('#task-goto-id').fill('later');
  await page.locator('#task-goto-id').press('Enter');
  await page.locator('#task-detail-state', { hasText: 'delayed' }).waitFor({ timeout: 5000 });
  assert.ok(await cancel.isVisible());
  await page.locator('#task-goto-id').fill('act');
  await page.locator('#task-goto-id').press('Enter');
  await page.locator('#task-detail-state', { hasText: 'active' }).waitFor({ timeout: 5000 });
  assert.not.ok(await cancel.isVisible());
});

test('no console errors or failed requests beyond the provoked 401 and 404; no horizontal scroll', async () => {
  assert.equal(ctx.problems, []);
  assert.ok(ctx.expected.every((line) => /401|404/.test(line)), ctx.expected.join('\n'));
  const width = await ctx.page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= 1280, `page is ${width}px wide`);
});

test.run();
