import * as assert from 'uvu/assert';
import { describeBackends, openQueue, sameShard, sleep } from '../helpers/backends.mjs';

const opts = { max: 10, leaseMs: 30_000, owner: 'w' };

await describeBackends('TaskQueue corrupt records', (test, backend) => {
  test('a missing record found by a claim is dead-lettered with an explanation', async () => {
    const { queue, client, cleanup } = openQueue(backend);
    await queue.enqueueMany([{ id: 'gone' }, { id: 'fine' }]);
    await client.del(queue.keysFor('gone').task('gone'));
    const batch = await queue.claimBatch('short', opts);
    assert.equal(batch.leases.map((l) => l.id), ['fine']);
    assert.is(batch.corrupt, 1);
    const info = await queue.get('gone');
    assert.is(info.state, 'dead');
    assert.is(info.error.code, 'TASKLANE_ERR_CORRUPT_TASK');
    assert.match(info.error.message, /missing or corrupt/);
    await cleanup();
  });

  test('regression: a record missing one field (its type) is dead-lettered, on ioredis-mock too', async () => {
    const { queue, client, cleanup } = openQueue(backend);
    await queue.enqueueMany([{ id: 'partial' }, { id: 'whole' }]);
    await client.hdel(queue.keysFor('partial').task('partial'), 'type');
    const batch = await queue.claimBatch('short', opts);
    assert.equal(batch.leases.map((l) => l.id), ['whole']);
    assert.is(batch.corrupt, 1);
    assert.is((await queue.get('partial')).error.code, 'TASKLANE_ERR_CORRUPT_TASK');
    await cleanup();
  });

  test('a record with unparsable payload JSON is dead-lettered, not handed out', async () => {
    const { queue, client, cleanup } = openQueue(backend);
    await queue.enqueueMany([{ id: 'badjson' }, { id: 'ok' }]);
    await client.hset(queue.keysFor('badjson').task('badjson'), 'payload', '{not json');
    const batch = await queue.claimBatch('short', opts);
    assert.equal(batch.leases.map((l) => l.id), ['ok']);
    assert.is(batch.corrupt, 1);
    const info = await queue.get('badjson');
    assert.is(info.state, 'dead');
    assert.match(info.error.message, /not valid JSON/);
    await cleanup();
  });

  test('regression: a corrupt payload whose dead-lettering fails does not drop the valid leases of its batch', async () => {
    const { queue, client, cleanup } = openQueue(backend);
    const [badjson, ok1, ok2] = sameShard(queue, 'badjson', 'ok-1', 'ok-2');
    await queue.enqueueMany([{ id: badjson }, { id: ok1 }, { id: ok2 }]);
    await client.hset(queue.keysFor(badjson).task(badjson), 'payload', '{not json');
    const warnings = [];
    queue.on('queue:warning', (message) => warnings.push(message));
    // The dead-lettering of the corrupt one fails (Redis gone for a moment, say).
    queue.fail = async () => {
      throw new Error('connection lost');
    };
    const batch = await queue.claimBatch('short', opts);
    assert.equal(batch.leases.map((l) => l.id), [ok1, ok2], 'the valid leases reach the caller');
    assert.is(batch.corrupt, 1);
    assert.is(warnings.length, 1);
    assert.match(warnings[0], /could not dead-letter corrupt task\(s\) badjson/);
    assert.is((await queue.get(badjson)).state, 'active', 'left to lapse and be found again');
    await cleanup();
  });

  test('a record in the wrong state inside the waiting set is dead-lettered', async () => {
    const { queue, client, cleanup } = openQueue(backend);
    await queue.enqueue({ id: 'weird' });
    await client.hset(queue.keysFor('weird').task('weird'), 'state', 'completed');
    const batch = await queue.claimBatch('short', opts);
    assert.equal([batch.leases.length, batch.corrupt], [0, 1]);
    assert.is((await queue.get('weird')).state, 'dead');
    await cleanup();
  });
});

await describeBackends('TaskQueue wake-ups', (test, backend) => {
  test('an idle consumer is woken by an enqueue from another client, without polling', async () => {
    const consumer = openQueue(backend);
    const producer = openQueue(backend, { name: consumer.queue.name });
    await consumer.queue.listenForWork();
    const since = consumer.queue.wakeGeneration('short');
    assert.equal(await consumer.queue.claim('short', opts), []);
    const waiting = consumer.queue.waitForWork('short', { since, timeoutMs: 10_000 });
    await sleep(20);
    await producer.queue.enqueue({ id: 'wake-me' });
    assert.is(await waiting, true, 'woken, not timed out');
    assert.equal((await consumer.queue.claim('short', opts)).map((l) => l.id), ['wake-me']);
    await consumer.cleanup();
    await producer.cleanup();
  });

  test('a wake-up that lands between the claim and the wait is not lost', async () => {
    const consumer = openQueue(backend);
    await consumer.queue.listenForWork();
    const since = consumer.queue.wakeGeneration('long');
    await consumer.queue.enqueue({ lane: 'long' });
    await sleep(50); // the message arrives before the consumer starts waiting
    assert.is(await consumer.queue.waitForWork('long', { since, timeoutMs: 10_000 }), true);
    await consumer.cleanup();
  });

  test('a wait times out when nothing arrives, and lanes do not wake each other', async () => {
    const consumer = openQueue(backend);
    await consumer.queue.listenForWork();
    const since = consumer.queue.wakeGeneration('long');
    await consumer.queue.enqueue({ lane: 'short' });
    assert.is(await consumer.queue.waitForWork('long', { since, timeoutMs: 150 }), false);
    await consumer.cleanup();
  });

  test('a delayed retry wakes idle consumers so they learn its due time', async () => {
    const consumer = openQueue(backend);
    await consumer.queue.enqueue({ id: 'soon' });
    const [lease] = await consumer.queue.claim('short', opts);
    await consumer.queue.listenForWork();
    const since = consumer.queue.wakeGeneration('short');
    const waiting = consumer.queue.waitForWork('short', { since, timeoutMs: 10_000 });
    await consumer.queue.fail(lease, new Error('x'), { retryInMs: 5000 });
    assert.is(await waiting, true);
    const batch = await consumer.queue.claimBatch('short', opts);
    assert.ok(batch.nextDueInMs > 3000 && batch.nextDueInMs <= 5000, `nextDueInMs ${batch.nextDueInMs}`);
    await consumer.cleanup();
  });

  test('aborting a wait resolves it', async () => {
    const consumer = openQueue(backend);
    const controller = new AbortController();
    const waiting = consumer.queue.waitForWork('short', { timeoutMs: 60_000, signal: controller.signal });
    await sleep(20);
    controller.abort();
    assert.is(await waiting, false);
    await consumer.cleanup();
  });
});
