import * as assert from 'uvu/assert';
import { NonRetryableError } from '../../dist/index.js';
import { describeBackends, openQueue, sameShard, sameShardIds, sleep, sumShards } from '../helpers/backends.mjs';

const opts = (owner = 'w1', leaseMs = 30_000) => ({ max: 10, leaseMs, owner });

await describeBackends('TaskQueue failures, retries and dead letters', (test, backend) => {
  test('a retryable failure below maxAttempts becomes a delayed retry after retryInMs', async () => {
    const { queue, cleanup } = openQueue(backend);
    await queue.enqueue({ id: 'r', maxAttempts: 3, priority: 4 });
    const [lease] = await queue.claim('short', opts());
    assert.is(await queue.fail(lease, new Error('503 from upstream'), { retryInMs: 150 }), 'retrying');
    const info = await queue.get('r');
    assert.is(info.state, 'delayed');
    assert.equal(info.error, { name: 'Error', message: '503 from upstream' });
    assert.ok(info.runAt >= Date.now() + 50, 'runAt is in the future');
    assert.equal(await queue.claim('short', opts()), [], 'not claimable before it is due');
    assert.is((await queue.stats()).delayed, 1);
    await sleep(200);
    const [retry] = await queue.claim('short', opts());
    assert.equal([retry.id, retry.attempt, retry.fence, retry.priority], ['r', 2, 2, 4]);
    await cleanup();
  });

  test('the default retry delay is exponential backoff with jitter', async () => {
    const { queue, cleanup } = openQueue(backend, { backoff: { baseMs: 400, maxMs: 10_000 } });
    await queue.enqueue({ id: 'b', maxAttempts: 5 });
    const [lease] = await queue.claim('short', opts());
    const t0 = Date.now();
    assert.is(await queue.fail(lease, new Error('x')), 'retrying');
    const { runAt } = await queue.get('b');
    assert.ok(runAt - t0 >= 150 && runAt - t0 <= 600, `first retry in ${runAt - t0} ms, expected 200..400`);
    await cleanup();
  });

  test('backoffFor draws the delay fail() would use without retryInMs: the queue\'s backoff', async () => {
    const { queue, cleanup } = openQueue(backend, { backoff: { baseMs: 400, maxMs: 1000 } });
    for (const [attempt, low, high] of [[1, 200, 400], [2, 400, 800], [3, 500, 1000], [9, 500, 1000]]) {
      for (let i = 0; i < 20; i += 1) {
        const delay = queue.backoffFor({ attempt });
        assert.ok(Number.isInteger(delay) && delay >= low && delay <= high, `attempt ${attempt}: ${delay} outside ${low}..${high}`);
      }
    }
    await cleanup();
  });

  test('a non-retryable failure dead-letters at once, keeping the error', async () => {
    const { queue, cleanup } = openQueue(backend);
    await queue.enqueue({ id: 'n', maxAttempts: 5 });
    const [lease] = await queue.claim('short', opts());
    const err = Object.assign(new NonRetryableError('422 invalid email'), { status: 422 });
    assert.is(await queue.fail(lease, err, { retryable: false }), 'dead');
    const info = await queue.get('n');
    assert.is(info.state, 'dead');
    assert.equal(info.error, { name: 'NonRetryableError', message: '422 invalid email', code: 'TASKLANE_ERR_NON_RETRYABLE', status: 422 });
    const dead = await queue.deadLetters();
    assert.equal(dead.map((t) => t.id), ['n']);
    assert.is((await queue.stats()).dead, 1);
    await cleanup();
  });

  test('the last attempt dead-letters even when retryable', async () => {
    const { queue, cleanup } = openQueue(backend);
    await queue.enqueue({ id: 'l', maxAttempts: 2 });
    let [lease] = await queue.claim('short', opts());
    assert.is(await queue.fail(lease, new Error('first'), { retryInMs: 0 }), 'retrying');
    [lease] = await queue.claim('short', opts());
    assert.is(lease.attempt, 2);
    assert.is(await queue.fail(lease, new Error('second')), 'dead');
    const info = await queue.get('l');
    assert.equal([info.state, info.attempts, info.error.message], ['dead', 2, 'second']);
    await cleanup();
  });

  test('a non-Error failure is recorded as an error', async () => {
    const { queue, cleanup } = openQueue(backend);
    await queue.enqueue({ id: 's', maxAttempts: 1 });
    const [lease] = await queue.claim('short', opts());
    assert.is(await queue.fail(lease, 'plain string'), 'dead');
    assert.is((await queue.get('s')).error.message, 'plain string');
    await cleanup();
  });

  test('retryDead replays a dead letter with attempts reset', async () => {
    const { queue, cleanup } = openQueue(backend);
    await queue.enqueue({ id: 'd', lane: 'long', priority: 2, payload: { k: 'v' } });
    let [lease] = await queue.claim('long', opts());
    await queue.fail(lease, new Error('boom'), { retryable: false });
    assert.is(await queue.retryDead('d'), true);
    assert.is(await queue.retryDead('d'), false, 'no longer dead');
    assert.is(await queue.retryDead('unknown'), false);
    const info = await queue.get('d');
    assert.equal([info.state, info.attempts, info.stalls], ['waiting', 0, 0]);
    assert.equal(await queue.deadLetters(), []);
    [lease] = await queue.claim('long', opts());
    assert.equal([lease.id, lease.attempt, lease.priority, lease.payload], ['d', 1, 2, { k: 'v' }]);
    assert.is(await queue.complete(lease, 'ok'), true);
    await cleanup();
  });

  test('purgeDead deletes a dead letter but keeps its id refused', async () => {
    const { queue, cleanup } = openQueue(backend);
    await queue.enqueue({ id: 'p' });
    const [lease] = await queue.claim('short', opts());
    await queue.fail(lease, new Error('x'), { retryable: false });
    assert.is(await queue.purgeDead('p'), true);
    assert.is(await queue.get('p'), null);
    assert.is((await queue.stats()).dead, 0);
    assert.is((await queue.enqueue({ id: 'p' })).duplicate, true);
    await cleanup();
  });

  test('deadLetters lists the most recent first, with limit and offset', async () => {
    const { queue, cleanup } = openQueue(backend);
    for (const id of ['d1', 'd2', 'd3']) {
      await queue.enqueue({ id });
      const [lease] = await queue.claim('short', opts());
      await queue.fail(lease, new Error(id), { retryable: false });
      await sleep(5);
    }
    assert.equal((await queue.deadLetters()).map((t) => t.id), ['d3', 'd2', 'd1']);
    assert.equal((await queue.deadLetters({ limit: 1, offset: 1 })).map((t) => t.id), ['d2']);
    await cleanup();
  });

  test('cancel withdraws waiting and delayed tasks only', async () => {
    const { queue, cleanup } = openQueue(backend);
    await queue.enqueue({ id: 'act' });
    await queue.claim('short', opts());
    await queue.enqueueMany([{ id: 'w' }, { id: 'dl', delayMs: 10_000 }]);
    assert.is(await queue.cancel('w'), true);
    assert.is(await queue.cancel('dl'), true);
    assert.is(await queue.cancel('act'), false, 'active tasks cannot be cancelled');
    assert.is(await queue.cancel('nope'), false);
    assert.is(await queue.cancel('w'), false, 'already cancelled');
    assert.is((await queue.get('w')).state, 'cancelled');
    assert.is((await queue.get('dl')).state, 'cancelled');
    const stats = await queue.stats();
    assert.equal([stats.waiting.short, stats.delayed, stats.active], [0, 0, 1]);
    assert.is((await queue.enqueue({ id: 'w' })).duplicate, true);
    await cleanup();
  });

  test('completed records and their index expire after the retention', async () => {
    const { queue, cleanup } = openQueue(backend, { completedRetentionMs: 100 });
    await queue.enqueueMany([{ id: 'e1' }, { id: 'e2' }]);
    const leases = await queue.claim('short', opts());
    await queue.completeMany(leases.map((lease) => ({ lease })));
    assert.is((await queue.stats()).completed, 2);
    await sleep(200);
    assert.is((await queue.stats()).completed, 0);
    assert.is(await queue.get('e1'), null);
    assert.equal(await queue.redis.exists(queue.keysFor('e1').task('e1')) + await queue.redis.exists(queue.keysFor('e2').task('e2')), 0);
    await cleanup();
  });

  test('a completion deletes completed records past the retention that Redis has not freed yet', async () => {
    const { queue, cleanup } = openQueue(backend, { completedRetentionMs: 100 });
    // A completion reaps its own shard's completed index: all three share one.
    const [old, reused, fresh] = sameShard(queue, 'old', 'reused', 'new');
    const k = queue.keysFor(old);
    await queue.enqueueMany([{ id: old }, { id: reused }]);
    await queue.completeMany((await queue.claim('short', opts())).map((lease) => ({ lease })));
    // Stand-ins for records Redis is slow to expire: no TTL. `reused` now holds a later
    // task's record under the same id (another finish time), which must survive.
    await queue.redis.persist(k.task(old));
    await queue.redis.persist(k.task(reused));
    await queue.redis.hset(k.task(reused), 'ft', String(Date.now() + 60_000));
    await sleep(200);
    await queue.enqueue({ id: fresh });
    await queue.completeMany((await queue.claim('short', opts())).map((lease) => ({ lease })));
    assert.is(await queue.redis.exists(k.task(old)), 0, 'the old record was deleted');
    assert.is(await queue.redis.exists(k.task(reused)), 1, 'a record that is no longer the indexed one stays');
    assert.equal(await queue.redis.zrange(k.completed, 0, -1), [fresh]);
    await cleanup();
  });

  test('regression: stats() reaps completed records past the retention instead of only dropping their index entries', async () => {
    const { queue, cleanup } = openQueue(backend, { completedRetentionMs: 100 });
    await queue.enqueue({ id: 'idle' });
    await queue.completeMany((await queue.claim('short', opts())).map((lease) => ({ lease })));
    // A record Redis is slow to expire (no TTL), and no completion comes after it: stats must reap it.
    const k = queue.keysFor('idle');
    assert.equal(await queue.redis.zrange(k.completed, 0, -1), ['idle']);
    await queue.redis.persist(k.task('idle'));
    await sleep(200);
    assert.is((await queue.stats()).completed, 0);
    assert.is(await queue.redis.exists(k.task('idle')), 0, 'the record was deleted, not only unindexed');
    assert.equal(await queue.redis.zrange(k.completed, 0, -1), []);
    await cleanup();
  });

  test('regression: after a burst, the completed index does not outlive the retention once completions stop', async () => {
    const { queue, cleanup } = openQueue(backend, { completedRetentionMs: 100 });
    // One shard: the bound of 200 a stats call reaps is per shard.
    await queue.enqueueMany(sameShardIds(queue, 250, 'burst-').map((id) => ({ id })));
    const leases = await queue.claim('short', { ...opts(), max: 250 });
    await queue.completeMany(leases.map((lease) => ({ lease })));
    await sleep(200);
    // One stats call reaps up to 200 records (bounded work, never the whole index); the
    // periodic reap (the runtime's reaper calls queue.reap) takes the rest.
    assert.is((await queue.stats()).completed, 0);
    assert.is(await sumShards(queue, (k) => queue.redis.zcard(k.completed)), 50);
    assert.equal(await queue.reap(), { completed: 50, dead: 0 });
    assert.is(await sumShards(queue, (k) => queue.redis.zcard(k.completed)), 0);
    await cleanup();
  });
});
