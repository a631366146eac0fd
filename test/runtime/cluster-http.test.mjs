// The operator HTTP server (createOperatorServer, in this process) on a queue in 6 shards on the
// run's Redis Cluster: enqueue, browse every state through all shards by cursor, one task,
// cancel, dead letters merged most recent first (retry, purge), pause and resume on every
// shard, /metrics summed over shards, /readyz with an in-process runtime, and the dashboard's
// task list in headless Chromium.
import { Cluster } from 'ioredis';
import { chromium } from 'playwright-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createOperatorServer, createRuntime, TaskQueue } from '../../dist/index.js';
import { CLUSTER_SHARDS, clusterNodes, sleep, uniqueName } from '../helpers/backends.mjs';
import { send } from '../helpers/http.mjs';
import { parseExposition, sampleValue } from '../helpers/prometheus.mjs';

const TOKEN = 'cluster-token';
const CHROMIUM = '/usr/bin/chromium';

/** A 6-shard queue on the cluster and an operator server with a token, on a free loopback port. */
async function serve(serverOptions = {}) {
  const client = new Cluster(clusterNodes(), { redisOptions: { maxRetriesPerRequest: null } });
  const queue = new TaskQueue({ redis: client, name: uniqueName('chttp'), shards: CLUSTER_SHARDS });
  queue.on('queue:warning', () => {});
  const server = createOperatorServer({ queue, port: 0, token: TOKEN, ...serverOptions });
  const { url } = await server.listen();
  const call = (method, path, { body } = {}) => send(url, method, path, {
    headers: { authorization: `Bearer ${TOKEN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const close = async () => {
    await server.close();
    await queue.close();
    client.disconnect();
  };
  return { queue, client, server, url, call, close };
}

const shardsOf = (queue, ids) => new Set(ids.map((id) => queue.keysFor(id).shard));

/** Follows nextCursor from the first page to the last; every page within the limit. */
async function pageAll(s, query, limit) {
  const ids = [];
  let cursor;
  let pages = 0;
  do {
    const r = await s.call('GET', `/tasks?${new URLSearchParams({ ...query, limit: String(limit), ...(cursor ? { cursor } : {}) })}`);
    assert.is(r.status, 200, r.text);
    assert.ok(r.json.tasks.length <= limit);
    ids.push(...r.json.tasks.map((t) => t.id));
    cursor = r.json.nextCursor;
    pages += 1;
    assert.ok(pages < 100, 'the cursor never ends');
  } while (cursor);
  return { ids, pages };
}

/** Claims `ids` (the only waiting tasks of the short lane) and fails them for good, one by one, oldest first. */
async function deadLetter(queue, ids) {
  const leases = [];
  while (leases.length < ids.length) {
    const got = await queue.claim('short', { max: ids.length - leases.length, leaseMs: 30_000, owner: 'test' });
    assert.ok(got.length > 0, 'the claim found the remaining tasks');
    leases.push(...got);
  }
  const byId = new Map(leases.map((l) => [l.id, l]));
  for (const id of ids) {
    assert.is(await queue.fail(byId.get(id), new Error(`${id} failed`), { retryable: false }), 'dead');
    await sleep(3); // distinct death times, so the order is known
  }
}

const test = suite('http on a sharded cluster queue');

test('POST /tasks spreads over the shards; GET /tasks/:id and DELETE /tasks/:id find each task in its own shard', async () => {
  const s = await serve();
  try {
    const batch = Array.from({ length: 24 }, (_, i) => ({ id: `t-${i}`, type: 'mail', lane: i % 3 === 0 ? 'long' : 'short', payload: { i } }));
    let r = await s.call('POST', '/tasks', { body: batch });
    assert.is(r.status, 201, r.text);
    assert.equal(r.json, batch.map((t) => ({ id: t.id, duplicate: false })));
    r = await s.call('POST', '/tasks', { body: { id: 't-5' } });
    assert.equal([r.status, r.json], [200, { id: 't-5', duplicate: true }], 'the duplicate is found in its shard');
    assert.is(shardsOf(s.queue, batch.map((t) => t.id)).size, CLUSTER_SHARDS, 'the batch touches every shard');

    for (const t of batch) {
      r = await s.call('GET', `/tasks/${t.id}`);
      assert.is(r.status, 200, `${t.id}: ${r.text}`);
      assert.equal([r.json.id, r.json.state, r.json.lane, r.json.payload], [t.id, 'waiting', t.lane, { i: t.payload.i }]);
    }
    // Cancel one task from each shard.
    const victims = [...new Map(batch.map((t) => [s.queue.keysFor(t.id).shard, t.id])).values()];
    assert.is(victims.length, CLUSTER_SHARDS);
    for (const id of victims) {
      r = await s.call('DELETE', `/tasks/${id}`);
      assert.equal([r.status, r.json], [200, { id, cancelled: true }], id);
      assert.is((await s.queue.get(id)).state, 'cancelled');
      r = await s.call('DELETE', `/tasks/${id}`);
      assert.is(r.status, 409);
      assert.is(r.json.error.code, 'TASKLANE_ERR_NOT_CANCELLABLE');
    }
    r = await s.call('GET', '/tasks/ghost');
    assert.equal([r.status, r.json.error.code], [404, 'TASKLANE_ERR_NOT_FOUND']);
    r = await s.call('GET', '/stats');
    const longCount = batch.filter((t) => t.lane === 'long' && !victims.includes(t.id)).length;
    assert.equal(r.json.waiting, { short: batch.length - victims.length - longCount, long: longCount });
  } finally {
    await s.close();
  }
});

test('GET /tasks?state=…: the cursor pages through every shard in listing order, without repeats or gaps', async () => {
  const s = await serve();
  try {
    // 70 waiting with priorities 0..6 in both lanes, 9 delayed, 5 active, 8 completed.
    const waiting = Array.from({ length: 70 }, (_, i) => ({ id: `w-${String(i).padStart(2, '0')}`, priority: i % 7, lane: i % 5 === 0 ? 'long' : 'short', type: i % 2 ? 'odd' : 'even' }));
    await s.queue.enqueueMany(waiting);
    const { ids, pages } = await pageAll(s, { state: 'waiting' }, 8);
    assert.is(pages, Math.ceil(waiting.length / 8));
    assert.is(new Set(ids).size, ids.length, 'no task twice');
    assert.equal([...ids].sort(), waiting.map((t) => t.id).sort(), 'no task left out');
    const priorities = ids.map((id) => waiting.find((t) => t.id === id).priority);
    assert.equal(priorities, [...priorities].sort((a, b) => a - b), 'merged by priority across shards');
    // Filters across shards.
    const long = await pageAll(s, { state: 'waiting', lane: 'long' }, 5);
    assert.equal(long.ids.sort(), waiting.filter((t) => t.lane === 'long').map((t) => t.id).sort());
    const odd = await pageAll(s, { state: 'waiting', type: 'odd' }, 6);
    assert.equal(odd.ids.sort(), waiting.filter((t) => t.type === 'odd').map((t) => t.id).sort());

    const delayed = Array.from({ length: 9 }, (_, i) => ({ id: `d-${i}`, delayMs: 600_000 + i * 1000 }));
    await s.queue.enqueueMany(delayed);
    const d = await pageAll(s, { state: 'delayed' }, 4);
    assert.equal(d.ids, delayed.map((t) => t.id), 'delayed by due time across shards');
    assert.ok(shardsOf(s.queue, d.ids).size > 1);

    // Claims from the short lane take the most urgent tasks (priority 0 first).
    const leases = await s.queue.claim('short', { max: 13, leaseMs: 60_000, owner: 'w' });
    assert.is(leases.length, 13);
    assert.ok(shardsOf(s.queue, leases.map((l) => l.id)).size > 1, 'the claim took from several shards');
    // Complete 8, one shard after another, so the completed tasks sit in several shards.
    const byShard = (l) => s.queue.keysFor(l.id).shard;
    leases.sort((a, b) => leases.filter((l) => byShard(l) === byShard(a) && l.id < a.id).length - leases.filter((l) => byShard(l) === byShard(b) && l.id < b.id).length || byShard(a) - byShard(b));
    for (const lease of leases.slice(0, 8)) await s.queue.complete(lease, { ok: lease.id });
    const active = await pageAll(s, { state: 'active' }, 2);
    assert.equal(active.ids.sort(), leases.slice(8).map((l) => l.id).sort());
    const completed = await pageAll(s, { state: 'completed' }, 3);
    assert.equal(completed.ids.sort(), leases.slice(0, 8).map((l) => l.id).sort());
    assert.ok(shardsOf(s.queue, completed.ids).size > 1, 'completed tasks in several shards');
    const rest = await pageAll(s, { state: 'waiting' }, 25);
    assert.equal(rest.ids.length, waiting.length - leases.length);
    assert.not.ok(rest.ids.some((id) => leases.some((l) => l.id === id)));
  } finally {
    await s.close();
  }
});

test('dead letters from every shard: listed most recent first (GET /dead and ?state=dead), retried and purged one by one and all at once', async () => {
  const s = await serve();
  try {
    const ids = Array.from({ length: 12 }, (_, i) => `x-${i}`);
    assert.is(shardsOf(s.queue, ids).size, CLUSTER_SHARDS);
    await s.queue.enqueueMany(ids.map((id) => ({ id })));
    await deadLetter(s.queue, ids);
    const newestFirst = [...ids].reverse();
    let r = await s.call('GET', '/dead?limit=100');
    assert.is(r.status, 200);
    assert.equal(r.json.tasks.map((t) => t.id), newestFirst);
    assert.equal(r.json.tasks.map((t) => t.error.message), newestFirst.map((id) => `${id} failed`));
    r = await s.call('GET', '/dead?limit=4&offset=4');
    assert.equal(r.json.tasks.map((t) => t.id), newestFirst.slice(4, 8));
    assert.is(r.json.nextOffset, 8);
    assert.equal((await pageAll(s, { state: 'dead' }, 5)).ids, newestFirst, 'the cursor keeps the order');

    r = await s.call('POST', `/dead/${ids[0]}/retry`);
    assert.equal([r.status, r.json], [200, { id: ids[0], retried: true }]);
    assert.is((await s.queue.get(ids[0])).state, 'waiting');
    r = await s.call('POST', `/dead/${ids[0]}/retry`);
    assert.is(r.status, 404);
    r = await s.call('DELETE', `/dead/${ids[1]}`);
    assert.equal([r.status, r.json], [200, { id: ids[1], purged: true }]);
    assert.is(await s.queue.get(ids[1]), null);

    r = await s.call('POST', '/dead/retry');
    assert.equal([r.status, r.json], [200, { retried: 10 }], 'every shard retried');
    let stats = (await s.call('GET', '/stats')).json;
    assert.equal([stats.waiting.short, stats.dead], [11, 0]);
    await deadLetter(s.queue, ids.filter((id) => id !== ids[1]));
    r = await s.call('DELETE', '/dead');
    assert.equal([r.status, r.json], [200, { purged: 11 }], 'every shard purged');
    stats = (await s.call('GET', '/stats')).json;
    assert.equal([stats.waiting.short, stats.dead], [0, 0]);
    r = await s.call('GET', '/dead');
    assert.equal(r.json.tasks, []);
  } finally {
    await s.close();
  }
});

test('POST /pause and /resume set every shard\'s marker; claims stop and start; /metrics sums the shards', async () => {
  const s = await serve();
  try {
    const markers = (lane) => Promise.all(s.queue.shardKeys.map((k) => s.client.exists(k.paused(lane))));
    let r = await s.call('POST', '/pause', { body: { lane: 'short' } });
    assert.equal([r.status, r.json], [200, { changed: ['short'], paused: { short: true, long: false } }]);
    assert.equal(await markers('short'), Array(CLUSTER_SHARDS).fill(1));
    assert.equal(await markers('long'), Array(CLUSTER_SHARDS).fill(0));
    await s.queue.enqueueMany(Array.from({ length: 12 }, (_, i) => ({ id: `p-${i}` })));
    assert.equal(await s.queue.claim('short', { max: 12, leaseMs: 10_000, owner: 'w' }), [], 'a paused lane gives nothing from any shard');
    r = await s.call('POST', '/resume');
    assert.equal(r.json, { changed: ['short'], paused: { short: false, long: false } });
    assert.equal(await markers('short'), Array(CLUSTER_SHARDS).fill(0));

    // 12 short waiting; claim 7 (complete 4, dead-letter 2, keep 1 active); 3 long waiting; 1 delayed.
    const leases = [];
    while (leases.length < 7) leases.push(...await s.queue.claim('short', { max: 7 - leases.length, leaseMs: 60_000, owner: 'w' }));
    for (const lease of leases.slice(0, 4)) await s.queue.complete(lease, null);
    for (const lease of leases.slice(4, 6)) await s.queue.fail(lease, new Error('no'), { retryable: false });
    await s.queue.enqueueMany([{ id: 'L1', lane: 'long', type: 'report' }, { id: 'L2', lane: 'long', type: 'report' }, { id: 'L3', lane: 'long', type: 'report' }, { id: 'later', delayMs: 600_000 }]);
    await s.call('POST', '/pause?lane=long');
    await sleep(300); // one scrape's reads are shared for 250 ms
    const parsed = parseExposition((await s.call('GET', '/metrics')).text);
    const depth = (state, lane) => sampleValue(parsed, 'tasklane_queue_depth', { state, lane });
    assert.equal([depth('waiting', 'short'), depth('waiting', 'long'), depth('delayed', 'all'), depth('active', 'all'), depth('completed', 'all'), depth('dead', 'all')],
      [5, 3, 1, 1, 4, 2]);
    assert.is(sampleValue(parsed, 'tasklane_active_leases'), 1);
    assert.is(sampleValue(parsed, 'tasklane_lane_paused', { lane: 'long' }), 1);
    assert.is(sampleValue(parsed, 'tasklane_lane_paused', { lane: 'short' }), 0);
    assert.is(sampleValue(parsed, 'tasklane_tasks_enqueued_total', { type: 'http' }), 13, 'enqueued counts summed over the shards');
    assert.is(sampleValue(parsed, 'tasklane_tasks_enqueued_total', { type: 'report' }), 3);
    assert.is(sampleValue(parsed, 'tasklane_redis_up'), 1);
    const overview = (await s.call('GET', '/overview')).json;
    assert.equal(overview.stats, await s.queue.stats());
    assert.equal(overview.stats.paused, { short: false, long: true });
  } finally {
    await s.close();
  }
});

test('/readyz follows Redis and an in-process runtime on the cluster queue, which claims work enqueued right after start from every shard (it listens before its first claim)', async () => {
  const client = new Cluster(clusterNodes(), { redisOptions: { maxRetriesPerRequest: null } });
  const name = uniqueName('cready');
  const queue = new TaskQueue({ redis: client, name, shards: CLUSTER_SHARDS });
  queue.on('queue:warning', () => {});
  const cluster = process.env.TASKLANE_TEST_CLUSTER_NODES.split(',');
  const runtime = createRuntime({ processes: 0, redis: { cluster }, shards: CLUSTER_SHARDS, queue: name, short: 1, long: 0, logLevel: 'silent',
    handlers: { echo: async (task) => ({ echoed: task.payload }) } });
  const server = createOperatorServer({ queue, runtime, port: 0 });
  const { url } = await server.listen();
  try {
    let res = await fetch(`${url}/readyz`);
    let body = await res.json();
    assert.is(res.status, 503);
    assert.is(body.redis, 'up');
    await runtime.start();
    res = await fetch(`${url}/readyz`);
    body = await res.json();
    assert.is(res.status, 200, JSON.stringify(body));
    assert.equal(body.runtime, { state: 'running', workers: 1, ready: 1, notReady: [] });
    // The runtime works the cluster queue: tasks in every shard complete.
    const ids = Array.from({ length: 18 }, (_, i) => `r-${i}`);
    assert.is(shardsOf(queue, ids).size, CLUSTER_SHARDS);
    await queue.enqueueMany(ids.map((id) => ({ id, type: 'echo', payload: id })));
    // Well under the claim router's 10 s recheck of shards seen empty: the wake-ups were heard.
    const deadline = Date.now() + 5000;
    while ((await queue.stats()).completed < ids.length && Date.now() < deadline) await sleep(100);
    for (const id of ids) assert.equal((await queue.get(id)).result, { echoed: id });
    await runtime.stop();
    res = await fetch(`${url}/readyz`);
    assert.is(res.status, 503);
  } finally {
    await server.close();
    await queue.close();
    client.disconnect();
  }
});

test.run();

const dash = suite('dashboard on a sharded cluster queue in Chromium');

dash('the Tasks card lists waiting tasks from every shard, in the API\'s order, and opens one', async () => {
  const s = await serve();
  let browser;
  try {
    const ids = Array.from({ length: 18 }, (_, i) => `dash-${String(i).padStart(2, '0')}`);
    await s.queue.enqueueMany(ids.map((id, i) => ({ id, priority: i, type: 'mail', payload: { n: i } })));
    assert.is(shardsOf(s.queue, ids).size, CLUSTER_SHARDS);
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true });
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const problems = [];
    page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
    page.on('console', (msg) => { if (msg.type() === 'error') problems.push(`console: ${msg.text()}`); });
    assert.is((await page.goto(s.url))?.status(), 200);
    await page.locator('#conn', { hasText: 'live' }).waitFor({ timeout: 10_000 });
    // Priorities 0..17: the page holds them in that order, though they sit in six shards.
    await page.waitForFunction((want) => {
      const got = [...document.querySelectorAll('#tasks-rows tr td:first-child')].map((td) => td.textContent);
      return got.length === want.length && got.every((id, i) => id === want[i]);
    }, ids, { timeout: 10_000 }).catch(async () => {
      assert.equal(await page.locator('#tasks-rows tr td:first-child').allTextContents(), ids, 'the Tasks card');
    });
    await page.locator('#tasks-rows').getByRole('button', { name: 'dash-11' }).click();
    await page.locator('#task-detail-state', { hasText: 'waiting' }).waitFor({ timeout: 5000 });
    assert.is(await page.locator('#task-detail-id').textContent(), 'dash-11');
    assert.equal(JSON.parse(await page.locator('#task-payload').textContent()), { n: 11 });
    assert.equal(problems, []);
  } finally {
    await browser?.close();
    await s.close();
  }
});

dash.run();
