// The key layout: a new queue is stamped with this version's layout, an unstamped queue with
// keys (stored before layouts were versioned) is adopted as it is, and any other stamp is
// refused by every operation with a LayoutError, checked once, with nothing written. The stamp
// (in shard 0) also holds the shard count, fixed once the queue has stored a task.
import * as assert from 'uvu/assert';
import { KEY_LAYOUT, LayoutError, ShardCountError, TaskQueue } from '../../dist/index.js';
import { describeBackends, keysEverywhere, openQueue, uniqueName } from '../helpers/backends.mjs';

/** Every key of the queue (all its shards) with its value, to show that nothing was written. */
async function snapshot(client, queue) {
  const keys = [];
  for (const { prefix } of queue.shardKeys) keys.push(...await keysEverywhere(client, `${prefix}*`));
  keys.sort();
  const read = { string: (k) => client.get(k), zset: (k) => client.zrange(k, 0, -1, 'WITHSCORES'), hash: (k) => client.hgetall(k) };
  return Promise.all(keys.map(async (key) => {
    const type = await client.type(key);
    return [key, type, await read[type](key)];
  }));
}

await describeBackends('TaskQueue key layout', (test, backend) => {
  test('a new queue is stamped with this version\'s layout before its first operation, once', async () => {
    const { queue, client, cleanup } = openQueue(backend);
    assert.is(KEY_LAYOUT, '2');
    assert.is(await client.exists(queue.keys.layout), 0, 'nothing is written by the constructor');
    await queue.enqueue({ id: 'a' });
    // One shard: the layout alone, as before sharding; N shards: '2/N', in shard 0.
    assert.is(await client.get(queue.keys.layout), queue.shards === 1 ? '2' : `2/${queue.shards}`);
    assert.is(queue.keys.shard, 0);
    assert.is(queue.checkLayout(), queue.checkLayout(), 'one memoized check');
    await cleanup();
  });

  test('a queue stored before layouts were versioned (keys, no stamp) is adopted as is, stamped 2, and works', async () => {
    const name = uniqueName('layout1');
    const client = backend.client();
    const old = new TaskQueue({ name, redis: client });
    old.on('queue:warning', () => {});
    await old.enqueueMany([{ id: 'w' }, { id: 'd', delayMs: 60_000 }]);
    // What a pre-versioned tasklane leaves: the same keys, without the stamp.
    await client.del(old.keys.layout);
    await old.close();

    const queue = new TaskQueue({ name, redis: client });
    queue.on('queue:warning', () => {});
    const [lease] = await queue.claim('short', { max: 1, leaseMs: 10_000, owner: 'w' });
    assert.is(lease.id, 'w', 'the waiting task is read as it was');
    assert.is(await client.get(queue.keys.layout), KEY_LAYOUT);
    assert.is((await queue.stats()).delayed, 1);
    assert.ok(await queue.complete(lease, 'ok'));
    await queue.close();
    client.disconnect();
  });

  for (const [what, stored] of [['a newer layout', '3'], ['garbage', 'v2-beta'], ['the unstamped layout as a stamp', '1']]) {
    test(`a queue stamped with ${what} (${stored}): every operation rejects with LayoutError; nothing written`, async () => {
      const { queue, client, cleanup } = openQueue(backend);
      await client.set(queue.keys.layout, stored);
      await client.zadd(queue.keys.waiting('short'), 0, '000000000000001x');
      const before = await snapshot(client, queue);
      const ops = [
        () => queue.enqueue({ id: 'a' }), () => queue.get('x'), () => queue.stats(), () => queue.paused(),
        () => queue.claim('short', { max: 1, leaseMs: 1000, owner: 'w' }), () => queue.requeueExpired(),
        () => queue.list({ state: 'waiting', lane: 'short' }), () => queue.deadLetters(), () => queue.pause(),
      ];
      for (const op of ops) {
        const err = await op().then(() => null, (e) => e);
        assert.instance(err, LayoutError, `${op}`);
        assert.is(err.code, 'TASKLANE_ERR_LAYOUT');
        assert.is(err.found, stored);
        assert.is(err.expected, KEY_LAYOUT);
        assert.ok(err.message.includes(queue.keys.layout), err.message);
        assert.match(err.message, /this version reads layout 2/);
        assert.match(err.message, /Nothing was read or written/);
      }
      if (stored === '3') assert.match((await queue.checkLayout().catch((e) => e)).message, /written by a newer tasklane/);
      else assert.match((await queue.checkLayout().catch((e) => e)).message, /which is no key layout tasklane writes/);
      assert.equal(await snapshot(client, queue), before, 'no key changed');
      await cleanup();
    });
  }

  test('a layout key of another type is refused too, not misread', async () => {
    const { queue, client, cleanup } = openQueue(backend);
    await client.hset(queue.keys.layout, 'v', '2');
    const err = await queue.enqueue({ id: 'a' }).catch((e) => e);
    assert.instance(err, LayoutError);
    // Real Redis answers GET of a hash with WRONGTYPE; ioredis-mock hands the hash to the script.
    if (backend.name === 'redis-server') assert.is(err.found, '(not a string)');
    assert.is(await client.exists(queue.keysFor('a').task('a')), 0);
    await cleanup();
  });

  test('a queue stamped 2/6 that stored a task, opened with shards 3: every operation rejects with ShardCountError; nothing written', async () => {
    const first = openQueue(backend, { shards: 6 });
    await first.queue.enqueue({ id: 'kept', payload: { n: 1 } });
    assert.is(await first.client.get(first.queue.keys.layout), '2/6');
    await first.cleanup();

    const { queue, client, cleanup } = openQueue(backend, { name: first.queue.name, shards: 3 });
    const wide = openQueue(backend, { name: first.queue.name, shards: 6 });
    const before = await snapshot(client, wide.queue);
    const ops = [
      () => queue.enqueue({ id: 'a' }), () => queue.get('kept'), () => queue.stats(), () => queue.paused(),
      () => queue.claim('short', { max: 1, leaseMs: 1000, owner: 'w' }), () => queue.requeueExpired(),
      () => queue.list({ state: 'waiting', lane: 'short' }), () => queue.pause(),
    ];
    for (const op of ops) {
      const err = await op().then(() => null, (e) => e);
      assert.instance(err, ShardCountError, `${op}`);
      assert.is(err.code, 'TASKLANE_ERR_SHARD_COUNT');
      assert.equal([err.queue, err.found, err.expected], [queue.name, 6, 3]);
      assert.match(err.message, /Nothing was read or written/);
    }
    assert.equal(await snapshot(client, wide.queue), before, 'no key changed');
    assert.is(await client.get(queue.keys.layout), '2/6');
    // Opened with its own count, the queue is as it was.
    assert.equal((await wide.queue.get('kept')).payload, { n: 1 });
    await wide.cleanup();
    await cleanup();
  });

  test('the first stamp fixes the shard count: reopened with another, even before it stored a task, the queue is refused; nothing written', async () => {
    const first = openQueue(backend, { shards: 6 });
    assert.is((await first.queue.stats()).delayed, 0, 'stamped by its first operation');
    assert.is(await first.client.get(first.queue.keys.layout), '2/6');

    // A process of the old count may still be running: the stamp is never rewritten.
    const { queue, client, cleanup } = openQueue(backend, { name: first.queue.name, shards: 3 });
    const err = await queue.enqueue({ id: 'a' }).catch((e) => e);
    assert.instance(err, ShardCountError);
    assert.equal([err.code, err.found, err.expected], ['TASKLANE_ERR_SHARD_COUNT', 6, 3]);
    assert.is(await client.get(queue.keys.layout), '2/6');
    assert.is(await first.queue.get('a'), null, 'nothing enqueued');
    assert.is((await first.queue.enqueue({ id: 'b' })).duplicate, false, 'the queue goes on in 6 shards');
    await cleanup();
    await first.cleanup();
  });

  test('a queue stored before layouts were versioned (keys, no stamp) opened with shards 4 is refused, and keeps the stamp 2', async () => {
    const old = openQueue(backend, { shards: 1 });
    await old.queue.enqueueMany([{ id: 'w' }, { id: 'd', delayMs: 60_000 }]);
    await old.client.del(old.queue.keys.layout);
    await old.cleanup();

    const { queue, client, cleanup } = openQueue(backend, { name: old.queue.name, shards: 4 });
    const err = await queue.enqueue({ id: 'x' }).catch((e) => e);
    assert.instance(err, ShardCountError);
    assert.is(err.code, 'TASKLANE_ERR_SHARD_COUNT');
    assert.equal([err.found, err.expected], [1, 4]);
    assert.is(await client.get(queue.keys.layout), null, 'left unstamped: a one-shard process adopts it');
    assert.is(await queue.get('w').catch((e) => e.code), 'TASKLANE_ERR_SHARD_COUNT', 'remembered');
    for (const keys of queue.shardKeys.slice(1)) assert.equal(await keysEverywhere(client, `${keys.prefix}*`), [], `nothing written in shard ${keys.shard}`);
    // The queue still works as the one shard it is.
    const one = openQueue(backend, { name: old.queue.name, shards: 1 });
    assert.equal([(await one.queue.get('w')).state, (await one.queue.get('d')).state, (await one.queue.get('x'))], ['waiting', 'delayed', null]);
    await one.cleanup();
    await cleanup();
  });

  test('a failure other than the layout is not remembered: the next operation checks again', async () => {
    const name = uniqueName('layout-retry');
    const client = backend.client();
    const queue = new TaskQueue({ name, redis: client });
    queue.on('queue:warning', () => {});
    // The command defineScripts registered for the layout script (scripts.ts commandName).
    const realLayout = client.tasklane_layout;
    client.tasklane_layout = () => Promise.reject(new Error('Connection is closed.'));
    const first = await queue.stats().catch((e) => e);
    assert.match(first.message, /Connection is closed/);
    assert.is(await client.exists(queue.keys.layout), 0);
    client.tasklane_layout = realLayout;
    assert.is((await queue.stats()).delayed, 0);
    assert.is(await client.get(queue.keys.layout), KEY_LAYOUT);
    await queue.close();
    client.disconnect();
  });
});
