// The dashboard's lane controls and per-id dead-letter actions in headless Chromium, against
// a real supervisor (--http with a token, worker processes): Pause stops the lane in Redis,
// Resume restarts it, and Retry/Purge on dead letters named `.` and `..` act on them alone
// (the browser's URL parser used to turn `/dead/./retry` into "retry every dead letter").
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { TaskQueue } from '../../dist/index.js';
import { realRedisUrl, uniqueName } from '../helpers/backends.mjs';
import { eventually, killAll, sleep, startSupervisor } from '../helpers/supervisor.mjs';

const HANDLERS = fileURLToPath(new URL('../fixtures/handlers-dashboard.mjs', import.meta.url));
const TOKEN = `token-${Math.random().toString(36).slice(2)}`;

const test = suite('dashboard lane controls and dot ids in Chromium');
const ctx = { problems: [] };

test.before(async () => {
  const name = uniqueName('dashp');
  ctx.sup = startSupervisor(['--http', '127.0.0.1:0', '--http-token', TOKEN, '--redis', realRedisUrl(), '--queue', name,
    '--handlers', HANDLERS, '--short', '1', '--long', '1', '--concurrency', '2', '--drain-timeout', '500ms']);
  ctx.url = (await ctx.sup.waitForLog((l) => l.msg === 'http listening', 20_000, 'http listening')).url;
  ctx.queue = new TaskQueue({ redis: realRedisUrl(), name });
  ctx.queue.on('queue:warning', () => {});
  ctx.browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true });
  ctx.page = await ctx.browser.newPage({ viewport: { width: 1280, height: 800 } });
  ctx.page.on('pageerror', (err) => ctx.problems.push(`pageerror: ${err.message}`));
  ctx.page.on('response', (res) => {
    if (res.status() >= 400) ctx.problems.push(`HTTP ${res.status()}: ${res.request().method()} ${res.url()}`);
  });
  await ctx.page.goto(ctx.url);
  await ctx.page.locator('#conn', { hasText: 'live' }).waitFor({ timeout: 10_000 });
  await ctx.page.locator('#token').fill(TOKEN);
});

test.after(async () => {
  await ctx.browser?.close();
  await ctx.queue?.close();
  await ctx.sup?.stop('SIGKILL');
  killAll();
});

const deadRow = (id) => ctx.page.locator(`#dead tr[data-key=${JSON.stringify(id)}]`);

test('Pause stops the long lane (in Redis, for every worker); Resume restarts it', async () => {
  const { page } = ctx;
  await page.locator('#lane-long-state', { hasText: 'running' }).waitFor({ timeout: 5000 });
  await page.locator('#lane-long-toggle', { hasText: 'Pause' }).click();
  await page.locator('#lane-long-state', { hasText: 'paused' }).waitFor({ timeout: 5000 });
  assert.is(await page.locator('#lane-long-toggle').textContent(), 'Resume');
  assert.equal(await ctx.queue.paused(), { short: false, long: true });

  await ctx.queue.enqueueMany([{ id: 'held', type: 'work', lane: 'long' }, { id: 'runs', type: 'work', lane: 'short' }]);
  await eventually(async () => (await ctx.queue.get('runs'))?.state === 'completed', { what: 'the short task to complete' });
  await sleep(1500);
  assert.is((await ctx.queue.get('held')).state, 'waiting', 'the paused lane claimed nothing');

  await page.locator('#lane-long-toggle', { hasText: 'Resume' }).click();
  await page.locator('#lane-long-state', { hasText: 'running' }).waitFor({ timeout: 5000 });
  await eventually(async () => (await ctx.queue.get('held'))?.state === 'completed', { timeoutMs: 5000, everyMs: 20, what: 'the long task to complete after Resume' });
});

test('regression: Retry and Purge on dead letters named `.` and `..` act on that id alone', async () => {
  const { page } = ctx;
  await ctx.queue.enqueueMany([{ id: 'bystander', type: 'poison' }, { id: '.', type: 'poison' }, { id: '..', type: 'poison' }]);
  for (const id of ['bystander', '.', '..']) await deadRow(id).waitFor({ timeout: 15_000 });
  const bystander = await ctx.queue.get('bystander');

  const retried = page.waitForResponse((res) => res.request().method() === 'POST' && res.url().includes('/dead'));
  await deadRow('.').getByRole('button', { name: 'Retry' }).click();
  const retry = await retried;
  assert.is(retry.status(), 200);
  assert.equal(await retry.json(), { id: '.', retried: true });

  const purged = page.waitForResponse((res) => res.request().method() === 'DELETE');
  await deadRow('..').getByRole('button', { name: 'Purge' }).click();
  await deadRow('..').getByRole('button', { name: 'Confirm' }).click();
  const purge = await purged;
  assert.equal([purge.status(), await purge.json()], [200, { id: '..', purged: true }]);
  await deadRow('..').waitFor({ state: 'detached', timeout: 5000 });

  await sleep(500);
  const after = await ctx.queue.get('bystander');
  assert.equal([after.state, after.finishedAt, after.attempts], [bystander.state, bystander.finishedAt, bystander.attempts], 'the bystander was neither replayed nor purged');
  assert.ok(await ctx.queue.get('.'), '`.` still exists (replayed, then dead again)');
  assert.is(await ctx.queue.get('..'), null);
  assert.equal(ctx.problems, []);
});

test.run();
