// retryAllDead and purgeAllDead: every dead letter at once, in chunks of one script call.
import * as assert from 'uvu/assert';
import { describeBackends, openQueue, sameShard, sameShardIds, sleep, sumShards } from '../helpers/backends.mjs';

const opts = (owner = 'w1', max = 10) => ({ max, leaseMs: 30_000, owner });
/** More than two chunks of the engine's 500, so the loop must run three times. */
const MANY = 1100;

/** Dead-letters a task after `attempts` failed attempts (the last one not retryable). */
async function killAfter(queue, input, attempts = 1) {
  await queue.enqueue({ maxAttempts: 10, ...input });
  for (let i = 1; i <= attempts; i += 1) {
    const [lease] = await queue.claim(input.lane ?? 'short', opts());
    assert.is(lease.id, input.id);
    assert.is(await queue.fail(lease, new Error(`failure ${i}`), { retryable: i < attempts, retryInMs: 0 }), i < attempts ? 'retrying' : 'dead');
  }
}

/**
 * Dead-letters `n` tasks in three calls: a queue with maxStalls 0 dead-letters a lost lease at once.
 * All in one shard (`shard`, or that of the first id), so the bulk loops of that shard run their chunks.
 */
async function killMany(queue, n, prefix = 'm', shard = undefined) {
  const ids = sameShardIds(queue, n, prefix, shard);
  await queue.enqueueMany(ids.map((id, i) => ({ id, lane: i % 2 ? 'long' : 'short', priority: i % 7 })));
  await queue.claim('short', opts('doomed', n));
  await queue.claim('long', opts('doomed', n));
  assert.is(await queue.releaseOwner('doomed'), n);
  return ids;
}

/** Tasks in every other state, to check the bulk operations leave them alone. */
async function bystanders(queue) {
  // 'waiting' is claimed with other tasks in tests that check claim order: see sameShard there.
  await queue.enqueue({ id: 'done' });
  const [done] = await queue.claim('short', opts());
  await queue.complete(done, 'ok');
  await queue.enqueue({ id: 'running', lane: 'long' });
  const [running] = await queue.claim('long', opts());
  await queue.enqueueMany([{ id: 'waiting', priority: 999_999 }, { id: 'later', delayMs: 60_000 }]);
  return { running };
}

async function checkBystanders(queue, { running }) {
  const states = await Promise.all(['done', 'running', 'waiting', 'later'].map(async (id) => (await queue.get(id))?.state));
  assert.equal(states, ['completed', 'active', 'waiting', 'delayed']);
  assert.is((await queue.get('running')).fence, running.fence);
  assert.is(await queue.heartbeat(running), true, 'the running task keeps its lease');
}

await describeBackends('TaskQueue bulk dead-letter operations', (test, backend) => {
  test('an empty dead set: both return 0 and change nothing', async () => {
    const { queue, cleanup } = openQueue(backend);
    const others = await bystanders(queue);
    const before = await queue.stats();
    assert.is(await queue.retryAllDead(), 0);
    assert.is(await queue.purgeAllDead(), 0);
    assert.equal(await queue.stats(), before);
    await checkBystanders(queue, others);
    await cleanup();
  });

  test('retryAllDead replays every dead letter with attempts reset, at its priority, and nothing else', async () => {
    const { queue, cleanup } = openQueue(backend);
    // One claim takes c, a and waiting: in one shard, so their order is exact.
    const [, a, c] = sameShard(queue, 'waiting', 'a', 'c');
    await killAfter(queue, { id: a, priority: 5, payload: { n: 1 } }, 3);
    await killAfter(queue, { id: 'b', priority: 1, lane: 'long' }, 2);
    await killAfter(queue, { id: c, priority: 2 }, 1);
    const others = await bystanders(queue);
    assert.is((await queue.get(a)).attempts, 3);

    assert.is(await queue.retryAllDead(), 3);
    assert.equal(await queue.deadLetters(), []);
    assert.is((await queue.stats()).dead, 0);
    for (const id of [a, 'b', c]) {
      const info = await queue.get(id);
      assert.equal([info.state, info.attempts, info.stalls, info.finishedAt], ['waiting', 0, 0, undefined], id);
    }
    assert.is((await queue.get(a)).error.message, 'failure 3', 'the last error is kept until it finishes again');
    await checkBystanders(queue, others);

    const short = await queue.claim('short', opts('w2'));
    assert.equal(short.map((l) => [l.id, l.attempt, l.priority]), [[c, 1, 2], [a, 1, 5], ['waiting', 1, 999_999]]);
    assert.equal(short[1].payload, { n: 1 });
    assert.equal((await queue.claim('long', opts('w2'))).map((l) => [l.id, l.attempt]), [['b', 1]]);
    assert.is(await queue.retryAllDead(), 0, 'nothing left to replay');
    await cleanup();
  });

  test('purgeAllDead deletes every dead letter, keeps the ids refused, and nothing else', async () => {
    const { queue, client, cleanup } = openQueue(backend);
    await killAfter(queue, { id: 'a' }, 2);
    await killAfter(queue, { id: 'b', lane: 'long' });
    const others = await bystanders(queue);

    assert.is(await queue.purgeAllDead(), 2);
    assert.is(await queue.get('a'), null);
    assert.is(await queue.get('b'), null);
    assert.is(await client.exists(queue.keysFor('a').task('a')) + await client.exists(queue.keysFor('b').task('b')), 0);
    assert.is(await sumShards(queue, (k) => client.zcard(k.dead)), 0);
    assert.is((await queue.stats()).dead, 0);
    assert.is((await queue.enqueue({ id: 'a' })).duplicate, true, 'a purged id stays refused for the dedup window');
    await checkBystanders(queue, others);
    assert.is(await queue.purgeAllDead(), 0);
    await cleanup();
  });

  test(`retryAllDead crosses chunk boundaries: ${MANY} dead letters`, async () => {
    const { queue, client, cleanup } = openQueue(backend, { maxStalls: 0 });
    const ids = await killMany(queue, MANY);
    assert.is((await queue.stats()).dead, MANY);
    assert.is(await queue.retryAllDead(), MANY);
    const stats = await queue.stats();
    assert.equal([stats.dead, stats.waiting.short + stats.waiting.long], [0, MANY]);
    assert.is(await sumShards(queue, (k) => client.zcard(k.dead)), 0);
    const states = new Set((await Promise.all(ids.map((id) => queue.get(id)))).map((t) => `${t.state}/${t.stalls}/${t.attempts}`));
    assert.equal([...states], ['waiting/0/0']);
    await cleanup();
  });

  test(`purgeAllDead crosses chunk boundaries: ${MANY} dead letters`, async () => {
    const { queue, client, cleanup } = openQueue(backend, { maxStalls: 0 });
    const ids = await killMany(queue, MANY);
    assert.is(await queue.purgeAllDead(), MANY);
    assert.is(await sumShards(queue, (k) => client.zcard(k.dead)), 0);
    const left = await Promise.all(ids.map((id) => client.exists(queue.keysFor(id).task(id))));
    assert.is(left.reduce((a, b) => a + b, 0), 0);
    await cleanup();
  });

  test('entries it cannot act on stay in the dead set without stopping the loop; stale ones are dropped', async () => {
    for (const op of ['retryAllDead', 'purgeAllDead']) {
      const { queue, client, cleanup } = openQueue(backend, { maxStalls: 0 });
      // Oldest first, so they fall inside the first chunk and every later chunk must step
      // over them; recent enough that the dead set's retention trim keeps them.
      // The stray entries and the 600 share a shard, so that shard's loop meets them.
      const [notDead, expired] = sameShard(queue, 'not-dead', 'expired');
      const k = queue.keysFor(notDead);
      await queue.enqueue({ id: notDead, delayMs: 60_000 });
      await client.zadd(k.dead, Date.now() - 2000, notDead);
      await client.zadd(k.dead, Date.now() - 1000, expired);
      await killMany(queue, 600, 'm', k.shard);
      assert.is(await queue[op](), 600, op);
      assert.equal(await client.zrange(k.dead, 0, -1), [notDead], op);
      assert.is(await sumShards(queue, (keys) => client.zcard(keys.dead)), 1, op);
      assert.is((await queue.get(notDead)).state, 'delayed', op);
      await cleanup();
    }
  });

  // Regression: the loop stepped over skipped entries by a count (an offset). When one of
  // them left the dead set between two chunks (purged, replayed or expired meanwhile), the
  // count then stepped over a dead letter that was never looked at.
  test('a skipped entry removed between two chunks does not make the loop skip a dead letter', async () => {
    for (const op of ['retryAllDead', 'purgeAllDead']) {
      const { queue, client, cleanup } = openQueue(backend, { maxStalls: 0 });
      const [skip1, skip2] = sameShard(queue, 'skip-1', 'skip-2');
      const k = queue.keysFor(skip1);
      await queue.enqueueMany([{ id: skip1, delayMs: 60_000 }, { id: skip2, delayMs: 60_000 }]);
      await client.zadd(k.dead, Date.now() - 2000, skip1, Date.now() - 1000, skip2);
      await killMany(queue, 600, 'm', k.shard);
      // Runs the bulk script as the queue does, and removes skip-1 once the first chunk of
      // its shard is done (the script's first key is the shard's dead set).
      const command = `tasklane_${op === 'retryAllDead' ? 'retryDeadMany' : 'purgeDeadMany'}`;
      const original = client[command];
      let calls = 0;
      client[command] = async function (...args) {
        const reply = await original.apply(this, args);
        if (args.flat()[0] !== k.dead) return reply;
        calls += 1;
        if (calls === 1) await client.zrem(k.dead, skip1);
        return reply;
      };
      assert.is(await queue[op](), 600, op);
      assert.ok(calls >= 2, `${op} ran ${calls} chunks`);
      assert.equal(await client.zrange(k.dead, 0, -1), [skip2], op);
      await cleanup();
    }
  });

  test('a dead letter made from a corrupt record is left alone by retryAllDead, as by retryDead', async () => {
    const { queue, client, cleanup } = openQueue(backend);
    await killAfter(queue, { id: 'ok' });
    await killAfter(queue, { id: 'broken' });
    await client.hdel(queue.keysFor('broken').task('broken'), 'lane');
    assert.is(await queue.retryAllDead(), 1);
    assert.is((await queue.get('ok')).state, 'waiting');
    assert.equal(await client.zrange(queue.keysFor('broken').dead, 0, -1), ['broken']);
    assert.is(await queue.purgeAllDead(), 1, 'purging it works');
    await cleanup();
  });

  // Regression: without a cutoff, a task that dies again at once (a worker is running) was
  // replayed again by the same call, so retryAllDead could loop for as long as tasks kept dying.
  test('dead letters that died after the call began are not taken by it', async () => {
    const { queue, client, cleanup } = openQueue(backend);
    await killAfter(queue, { id: 'old' });
    await killAfter(queue, { id: 'new' });
    await client.zadd(queue.keysFor('new').dead, Date.now() + 60_000, 'new'); // as if it died during the call
    assert.is(await queue.retryAllDead(), 1);
    assert.is(await queue.purgeAllDead(), 0);
    assert.equal([(await queue.get('old')).state, (await queue.get('new')).state], ['waiting', 'dead']);
    await cleanup();
  });

  test('retryAllDead wakes idle consumers of each lane it refills', async () => {
    const { queue, cleanup } = openQueue(backend);
    const consumer = openQueue(backend, { name: queue.name, shards: queue.shards });
    await killAfter(queue, { id: 'l', lane: 'long' });
    await consumer.queue.listenForWork();
    const since = consumer.queue.wakeGeneration('long');
    const shortSince = consumer.queue.wakeGeneration('short');
    const woken = consumer.queue.waitForWork('long', { since, timeoutMs: 10_000 });
    await sleep(20);
    assert.is(await queue.retryAllDead(), 1);
    assert.is(await woken, true, 'woken, not timed out');
    assert.is(consumer.queue.wakeGeneration('short'), shortSince, 'the short lane got nothing and no wake-up');
    await consumer.cleanup();
    await cleanup();
  });

  test('both refuse to run on a closed queue', async () => {
    const { queue, cleanup } = openQueue(backend);
    await cleanup();
    for (const op of ['retryAllDead', 'purgeAllDead']) {
      const error = await queue[op]().then(() => null, (err) => err);
      assert.is(error?.code, 'TASKLANE_ERR_CLOSED', op);
    }
  });
});
