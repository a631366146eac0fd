import * as assert from 'uvu/assert';
import { OptionError, TaskQueue } from '../../dist/index.js';
import { describeBackends, openQueue, sameShardIds, sleep } from '../helpers/backends.mjs';

const opts = (max = 10) => ({ max, leaseMs: 30_000, owner: 'w' });

/** Enqueues, claims and completes `ids` in one batch each. */
async function completeAll(queue, ids) {
  await queue.enqueueMany(ids.map((id) => ({ id })));
  const leases = await queue.claim('short', opts(ids.length));
  await queue.completeMany(leases.map((lease) => ({ lease })));
}

/**
 * `n` ids starting with `label`, all in shard 0 (so `queue.keys` reads their indexes): the
 * retention bounds (reap steps, counts, maxCalls) apply per shard, and these tests check
 * them on one shard of any queue.
 */
const range = (queue, label, n) => sameShardIds(queue, n, `${label}-`, 0);

/**
 * A completed max that leaves `perShard` to each shard of the backend's queues (each keeps
 * ceil(max / shards)), so the count checks below hold on shard 0 of any queue.
 */
const maxKeeping = (backend, perShard) => perShard * backend.shards;

await describeBackends('TaskQueue completed retention', (test, backend) => {
  test('a burst larger than the reap bound is reaped a bounded step per completion, and completes over calls', async () => {
    const { queue, cleanup } = openQueue(backend, { completedRetentionMs: 1000 });
    await completeAll(queue, range(queue, 'burst', 700));
    await sleep(1050);
    const [next1, next2] = range(queue, 'next', 2);
    // Each completion of one task reaps at most 200 entries (its bound: twice its batch, at least 200).
    await completeAll(queue, [next1]);
    assert.is(await queue.redis.zcard(queue.keys.completed), 700 - 200 + 1);
    await completeAll(queue, [next2]);
    assert.is(await queue.redis.zcard(queue.keys.completed), 700 - 400 + 2);
    // The periodic reap takes the rest, in chunks of 500, and leaves what is inside the window.
    assert.equal(await queue.reap(), { completed: 300, dead: 0 });
    assert.equal((await queue.redis.zrange(queue.keys.completed, 0, -1)).sort(), [next1, next2].sort());
    assert.equal(await queue.reap(), { completed: 0, dead: 0 });
    await cleanup();
  });

  test('a completion of a large batch reaps up to twice its batch, so it never falls behind', async () => {
    const { queue, cleanup } = openQueue(backend, { completedRetentionMs: 100 });
    await completeAll(queue, range(queue, 'old', 400));
    await sleep(150);
    await completeAll(queue, range(queue, 'new', 220));
    assert.is(await queue.redis.zcard(queue.keys.completed), 220, 'all 400 reaped by one call of 220 (bound 440 > 200)');
    await cleanup();
  });

  test('count retention keeps exactly the newest max', async () => {
    const { queue, cleanup } = openQueue(backend, { completedRetention: { max: maxKeeping(backend, 5) } });
    const ids = range(queue, 'c', 12);
    await queue.enqueueMany(ids.map((id) => ({ id })));
    for (const lease of await queue.claim('short', opts(12))) {
      await queue.complete(lease);
      await sleep(2); // distinct finish times: "newest" is by finish time
    }
    assert.equal(await queue.redis.zrange(queue.keys.completed, 0, -1), ids.slice(7));
    for (const id of ids.slice(0, 7)) assert.is(await queue.get(id), null, `${id} was reaped`);
    for (const id of ids.slice(7)) assert.is((await queue.get(id)).state, 'completed', `${id} is kept`);
    assert.is((await queue.stats()).completed, 5);
    assert.is((await queue.enqueue({ id: ids[0] })).duplicate, true, 'a reaped id stays refused for the dedup window');
    await cleanup();
  });

  test('count retention within one batch keeps max records', async () => {
    const { queue, cleanup } = openQueue(backend, { completedRetention: { max: maxKeeping(backend, 5) } });
    await completeAll(queue, range(queue, 'b', 12));
    assert.is(await queue.redis.zcard(queue.keys.completed), 5);
    const exists = await Promise.all(range(queue, 'b', 12).map((id) => queue.redis.exists(queue.keys.task(id))));
    assert.is(exists.reduce((a, b) => a + b, 0), 5, 'the records beyond max are deleted with their entries');
    await cleanup();
  });

  test('reap applies count retention when no completion comes', async () => {
    const a = openQueue(backend);
    const b = openQueue(backend, { name: a.queue.name, completedRetention: { ms: 3_600_000, max: maxKeeping(backend, 10) } });
    await completeAll(a.queue, range(a.queue, 'r', 30));
    assert.equal(await b.queue.reap(), { completed: 20, dead: 0 });
    assert.is(await b.queue.redis.zcard(b.queue.keys.completed), 10);
    assert.is((await b.queue.stats()).completed, 10);
    await a.cleanup();
    await b.cleanup();
  });

  test('reap({ maxCalls }) takes a large backlog in slices of 500 entries per call', async () => {
    const a = openQueue(backend);
    const b = openQueue(backend, { name: a.queue.name, completedRetention: { ms: 3_600_000, max: maxKeeping(backend, 100) } });
    await completeAll(a.queue, range(a.queue, 's', 1300));
    assert.equal(await b.queue.reap({ maxCalls: 1 }), { completed: 500, dead: 0 });
    assert.equal(await b.queue.reap({ maxCalls: 1 }), { completed: 500, dead: 0 });
    assert.equal(await b.queue.reap(), { completed: 200, dead: 0 });
    assert.is(await b.queue.redis.zcard(b.queue.keys.completed), 100);
    await a.cleanup();
    await b.cleanup();
  });

  test('dead index entries past the retention are trimmed a bounded step per dead letter, and by reap', async () => {
    const { queue, cleanup } = openQueue(backend, { deadRetentionMs: 1000 });
    const fail = async (ids) => {
      await queue.enqueueMany(ids.map((id) => ({ id, maxAttempts: 1 })));
      for (const lease of await queue.claim('short', opts(ids.length))) await queue.fail(lease, new Error('x'));
    };
    await fail(range(queue, 'd', 30));
    assert.is(await queue.redis.zcard(queue.keys.dead), 30);
    await sleep(1050);
    const [next] = range(queue, 'd-next', 1);
    await fail([next]);
    assert.is(await queue.redis.zcard(queue.keys.dead), 30 - 10 + 1, 'one dead letter trims at most 10 entries');
    assert.equal(await queue.reap(), { completed: 0, dead: 20 });
    assert.equal(await queue.redis.zrange(queue.keys.dead, 0, -1), [next]);
    await cleanup();
  });

  test('a sharded queue splits the completed max: each shard keeps its newest ceil(max / shards)', async () => {
    const { queue, cleanup } = openQueue(backend, { shards: 4, completedRetention: { max: 5 } });
    // 6 tasks per shard, completed one by one: distinct finish times.
    const perShard = queue.shardKeys.map((keys) => sameShardIds(queue, 6, `k${keys.shard}-`, keys.shard));
    const ids = perShard.flat();
    await queue.enqueueMany(ids.map((id) => ({ id })));
    const leases = [];
    for (let i = 0; i < 10 && leases.length < ids.length; i += 1) leases.push(...await queue.claim('short', opts(ids.length)));
    assert.is(leases.length, ids.length);
    const finished = new Map();
    for (const lease of leases) {
      await queue.complete(lease);
      finished.set(lease.id, finished.size);
      await sleep(2);
    }
    for (const [shard, shardIds] of perShard.entries()) {
      const newest = [...shardIds].sort((x, y) => finished.get(x) - finished.get(y)).slice(-2);
      assert.equal(await queue.redis.zrange(queue.shardKeys[shard].completed, 0, -1), newest, `shard ${shard} keeps its newest 2`);
    }
    assert.is((await queue.stats()).completed, 4 * 2);
    await cleanup();
  });

  test('a sharded queue: reap({ maxCalls }) takes up to maxCalls slices in every shard', async () => {
    const a = openQueue(backend, { shards: 4 });
    const b = openQueue(backend, { name: a.queue.name, shards: 4, completedRetention: { ms: 3_600_000, max: 4 } });
    // 700 completed in shard 0 and in shard 1; each shard keeps ceil(4 / 4) = 1.
    for (const shard of [0, 1]) await completeAll(a.queue, sameShardIds(a.queue, 700, `m${shard}-`, shard));
    assert.equal(await b.queue.reap({ maxCalls: 1 }), { completed: 2 * 500, dead: 0 });
    assert.equal(await b.queue.reap(), { completed: 2 * 199, dead: 0 });
    const left = await Promise.all(b.queue.shardKeys.map((keys) => b.queue.redis.zcard(keys.completed)));
    assert.equal(left, [1, 1, 0, 0]);
    await a.cleanup();
    await b.cleanup();
  });

  test('completedRetention is checked in the constructor; completedRetentionMs still works', async () => {
    const client = backend.client();
    const bad = [
      [{ completedRetention: { max: -1 } }, 'completedRetention.max'],
      [{ completedRetention: { max: 1.5 } }, 'completedRetention.max'],
      [{ completedRetention: { ms: '1h' } }, 'completedRetention.ms'],
      [{ completedRetention: { count: 5 } }, 'completedRetention.count'],
      [{ completedRetention: 5 }, 'completedRetention'],
      [{ completedRetentionMs: 1000, completedRetention: { ms: 2000 } }, 'completedRetention.ms'],
    ];
    for (const [options, option] of bad) {
      const err = (() => { try { new TaskQueue({ redis: client, ...options }); } catch (e) { return e; } })();
      assert.instance(err, OptionError, option);
      assert.is(err.option, option);
      assert.is(err.code, 'TASKLANE_ERR_INVALID_OPTION');
      assert.match(err.message, option.split('.').pop());
    }
    const queue = new TaskQueue({ redis: client, completedRetentionMs: 1000, completedRetention: { ms: 1000, max: 3 } });
    await queue.close();
    client.disconnect();
  });
});
