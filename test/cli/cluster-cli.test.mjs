// `tasklane` with --redis-cluster and --shards 6 on a queue in six shards on the run's Redis
// Cluster: stats summed, list paged across shards, get, cancel, dead list/retry/purge, pause and
// resume on every shard, api; and a queue stored in 6 shards refused under --shards 3.
import { Cluster } from 'ioredis';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { TaskQueue } from '../../dist/index.js';
import { CLUSTER_SHARDS, clusterNodes, sleep, uniqueName } from '../helpers/backends.mjs';
import { cli } from '../helpers/cli.mjs';

const test = suite('tasklane on a sharded cluster queue');

/** `--redis-cluster` and `--queue` for the run's cluster and a fresh queue, with `--shards 6`. */
function clusterTarget(shards = CLUSTER_SHARDS) {
  const queue = uniqueName('ccli');
  return { queue, flags: ['--redis-cluster', process.env.TASKLANE_TEST_CLUSTER_NODES, '--shards', String(shards), '--queue', queue] };
}

/** A library queue on the cluster, in six shards, to set up or check what the CLI sees. */
async function withClusterQueue(name, fn) {
  const client = new Cluster(clusterNodes(), { redisOptions: { maxRetriesPerRequest: null } });
  const queue = new TaskQueue({ redis: client, name, shards: CLUSTER_SHARDS });
  queue.on('queue:warning', () => {});
  try {
    return await fn(queue, client);
  } finally {
    await queue.close();
    client.disconnect();
  }
}

const shardCount = (queue, ids) => new Set(ids.map((id) => queue.keysFor(id).shard)).size;

/** Claims every waiting short task in `ids` and dead-letters them oldest first, a few ms apart. */
async function deadLetter(queue, ids) {
  const leases = [];
  while (leases.length < ids.length) {
    const got = await queue.claim('short', { max: ids.length - leases.length, leaseMs: 30_000, owner: 'test' });
    assert.ok(got.length > 0);
    leases.push(...got);
  }
  for (const id of ids) {
    assert.is(await queue.fail(leases.find((l) => l.id === id), Object.assign(new Error(`${id} failed`), { code: 'E_TEST' }), { retryable: false }), 'dead');
    await sleep(3);
  }
}

test('enqueue, stats, list (--json, paged), get and cancel across the six shards', async () => {
  const { queue, flags } = clusterTarget();
  const ids = Array.from({ length: 20 }, (_, i) => `c-${String(i).padStart(2, '0')}`);
  await withClusterQueue(queue, async (q) => {
    assert.is(shardCount(q, ids), CLUSTER_SHARDS);
    await q.enqueueMany(ids.map((id, i) => ({ id, priority: i, type: i % 2 ? 'odd' : 'even', payload: { i } })));
    await q.enqueueMany([{ id: 'long-1', lane: 'long' }, { id: 'later', delayMs: 600_000 }]);
  });
  const enq = await cli(['enqueue', ...flags, '--id', 'c-05', '--payload', '{}', '--json']);
  assert.equal([enq.code, enq.json], [0, { id: 'c-05', duplicate: true }], 'the duplicate is found in its shard');
  const added = await cli(['enqueue', ...flags, '--id', 'from-cli', '--payload', '{"x":1}', '--priority', '100', '--json']);
  assert.equal([added.code, added.json], [0, { id: 'from-cli', duplicate: false }], added.stderr);

  const stats = await cli(['stats', ...flags, '--json']);
  assert.is(stats.code, 0, stats.stderr);
  assert.equal(stats.json.waiting, { short: 21, long: 1 });
  assert.equal([stats.json.delayed, stats.json.active, stats.json.completed, stats.json.dead], [1, 0, 0, 0]);
  const human = await cli(['stats', ...flags]);
  assert.match(human.stdout, /waiting\s+22 \(short 21, long 1\)/);

  // Pages of 6 through every shard: priority order, nothing twice, nothing missing.
  const seen = [];
  let cursor;
  let pages = 0;
  do {
    const page = await cli(['list', ...flags, '--state', 'waiting', '--lane', 'short', '--limit', '6', ...(cursor ? ['--cursor', cursor] : []), '--json']);
    assert.is(page.code, 0, page.stderr);
    assert.ok(page.json.tasks.length <= 6);
    seen.push(...page.json.tasks.map((t) => t.id));
    cursor = page.json.nextCursor;
    pages += 1;
  } while (cursor && pages < 20);
  assert.is(pages, 4);
  assert.equal(seen, [...ids, 'from-cli']);
  const odd = await cli(['list', ...flags, '--state', 'waiting', '--type', 'odd', '--json']);
  assert.equal(odd.json.tasks.map((t) => t.id), ids.filter((_, i) => i % 2));
  const table = await cli(['list', ...flags, '--state', 'waiting', '--limit', '3']);
  assert.match(table.stdout.split('\n')[1], /^c-00\s+even\s+short\s+0\s+0\/5/);

  for (const id of ['c-03', 'c-16', 'from-cli']) {
    const got = await cli(['get', id, ...flags, '--json']);
    assert.is(got.code, 0, got.stderr);
    assert.equal([got.json.id, got.json.state], [id, 'waiting']);
  }
  assert.equal((await cli(['get', 'from-cli', ...flags, '--json'])).json.payload, { x: 1 });
  const missing = await cli(['get', 'ghost', ...flags, '--json']);
  assert.equal([missing.code, missing.json.error.code], [1, 'TASKLANE_ERR_NOT_FOUND']);

  // Cancel one task in every shard, then one that is not cancellable any more.
  const victims = await withClusterQueue(queue, async (q) => [...new Map(ids.map((id) => [q.keysFor(id).shard, id])).values()]);
  assert.is(victims.length, CLUSTER_SHARDS);
  for (const id of victims) {
    const r = await cli(['cancel', ...flags, id, '--json']);
    assert.is(r.code, 0, `${id}: ${r.stderr}`);
  }
  const again = await cli(['cancel', ...flags, victims[0], '--json']);
  assert.equal([again.code, again.json.error.code], [1, 'TASKLANE_ERR_NOT_CANCELLABLE']);
  await withClusterQueue(queue, async (q) => {
    for (const id of victims) assert.is((await q.get(id)).state, 'cancelled', id);
    assert.equal((await q.stats()).waiting, { short: 21 - victims.length, long: 1 });
  });
});

test('dead list (most recent first over every shard), retry and purge one and --all', async () => {
  const { queue, flags } = clusterTarget();
  const ids = Array.from({ length: 12 }, (_, i) => `d-${i}`);
  await withClusterQueue(queue, async (q) => {
    assert.is(shardCount(q, ids), CLUSTER_SHARDS);
    await q.enqueueMany(ids.map((id) => ({ id })));
    await deadLetter(q, ids);
  });
  const newestFirst = [...ids].reverse();
  const list = await cli(['dead', 'list', ...flags, '--json']);
  assert.is(list.code, 0, list.stderr);
  assert.equal(list.json.map((t) => t.id), newestFirst);
  assert.equal(list.json.map((t) => t.error.message), newestFirst.map((id) => `${id} failed`));
  const page = await cli(['dead', 'list', ...flags, '--limit', '3', '--offset', '2', '--json']);
  assert.equal(page.json.map((t) => t.id), newestFirst.slice(2, 5));
  const table = await cli(['dead', 'list', ...flags]);
  assert.equal(table.stdout.trimEnd().split('\n').slice(1).map((l) => l.split(/ +/)[0]), newestFirst);

  const one = await cli(['dead', 'retry', 'd-4', ...flags, '--json']);
  assert.is(one.code, 0, one.stderr);
  const purged = await cli(['dead', 'purge', 'd-9', ...flags, '--json']);
  assert.is(purged.code, 0, purged.stderr);
  const gone = await cli(['dead', 'purge', 'd-9', ...flags, '--json']);
  assert.is(gone.code, 1);
  await withClusterQueue(queue, async (q) => {
    assert.is((await q.get('d-4')).state, 'waiting');
    assert.is(await q.get('d-9'), null);
  });
  const all = await cli(['dead', 'retry', '--all', ...flags, '--json']);
  assert.is(all.code, 0, all.stderr);
  assert.equal(all.json, { retried: 10 }, 'every shard retried');
  await withClusterQueue(queue, async (q) => {
    assert.equal([(await q.stats()).waiting.short, (await q.stats()).dead], [11, 0]);
    await deadLetter(q, ids.filter((id) => id !== 'd-9'));
  });
  const purgeAll = await cli(['dead', 'purge', '--all', ...flags, '--json']);
  assert.equal([purgeAll.code, purgeAll.json], [0, { purged: 11 }], 'every shard purged');
  const stats = await cli(['stats', ...flags, '--json']);
  assert.equal([stats.json.dead, stats.json.waiting.short], [0, 0]);
});

test('pause and resume set every shard\'s marker; api shows the guard', async () => {
  const { queue, flags } = clusterTarget();
  const markers = (lane) => withClusterQueue(queue, (q, client) => Promise.all(q.shardKeys.map((k) => client.exists(k.paused(lane)))));
  let r = await cli(['pause', ...flags, '--lane', 'long', '--json']);
  assert.is(r.code, 0, r.stderr);
  assert.equal(r.json, { changed: ['long'], paused: { short: false, long: true } });
  assert.equal(await markers('long'), Array(CLUSTER_SHARDS).fill(1));
  assert.equal(await markers('short'), Array(CLUSTER_SHARDS).fill(0));
  r = await cli(['stats', ...flags]);
  assert.match(r.stdout, /paused\s+long\n/);
  r = await cli(['resume', ...flags, '--json']);
  assert.equal(r.json, { changed: ['long'], paused: { short: false, long: false } });
  assert.equal(await markers('long'), Array(CLUSTER_SHARDS).fill(0));

  const api = await cli(['api', ...flags, '--json']);
  assert.is(api.code, 0, api.stderr);
  assert.equal([api.json.scope, api.json.breaker.state], ['http', 'closed']);
});

test('--shards 3 on a queue stored in 6 shards: exit 1 with TASKLANE_ERR_SHARD_COUNT naming both counts; nothing written', async () => {
  const { queue, flags } = clusterTarget(3);
  await withClusterQueue(queue, (q) => q.enqueue({ id: 'kept' }));
  const json = await cli(['stats', ...flags, '--json']);
  assert.is(json.code, 1, json.stderr);
  assert.is(json.json.error.code, 'TASKLANE_ERR_SHARD_COUNT');
  assert.match(json.json.error.message, new RegExp(`queue \`${queue}\` is stored in 6 shard\\(s\\)`));
  assert.match(json.json.error.message, /--shards 6/);
  const human = await cli(['enqueue', ...flags, '--id', 'other', '--payload', '1']);
  assert.is(human.code, 1);
  assert.match(human.stderr, new RegExp(`^tasklane: TASKLANE_ERR_SHARD_COUNT: queue \`${queue}\` is stored in 6 shard\\(s\\); this TaskQueue was opened with \`shards\` 3\\. Nothing was read or written: .*\\(--shards 6, TASKLANE_SHARDS\\)`));
  assert.equal(human.stdout, '');
  await withClusterQueue(queue, async (q) => {
    assert.is(await q.get('other'), null, 'the refused enqueue wrote nothing');
    assert.equal((await q.stats()).waiting.short, 1);
  });
});

test.run();
