// Payloads and results over 64 bytes live in their own keys beside the record (keys.ts payload,
// result; includes/records.lua), so the record hash stays a listpack. Every path that reads,
// expires or deletes a record must do the same to those keys, and records written before
// (payload and result inline, no marker) must still run. Both backends.
import * as assert from 'uvu/assert';
import { describeBackends, openQueue, sleep } from '../helpers/backends.mjs';

const LONG = { data: 'x'.repeat(100) };
const SHORT = { n: 1 };
const LONG_RESULT = { body: 'y'.repeat(80) };
const lease = { max: 10, leaseMs: 30_000, owner: 'w1' };

/** The queue's per-task keys (record, payload, result) that exist now, sorted, prefix left off. */
async function taskKeys(client, queue) {
  const prefix = queue.keys.prefix;
  const found = [];
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = String(next);
    found.push(...keys.map((k) => k.slice(prefix.length)).filter((k) => /^[tpr]:/.test(k)));
  } while (cursor !== '0');
  return [...new Set(found)].sort();
}

/** Enqueues a long and a short task and claims both. */
async function claimBoth(queue) {
  await queue.enqueueMany([{ id: 'long', payload: LONG }, { id: 'short', payload: SHORT }]);
  const leases = await queue.claim('short', lease);
  return Object.fromEntries(leases.map((l) => [l.id, l]));
}

/** Claims the next waiting task and fails it for good. */
async function kill(queue) {
  const [l] = await queue.claim('short', { ...lease, max: 1 });
  assert.is(await queue.fail(l, new Error('boom'), { retryable: false }), 'dead');
  return l;
}

await describeBackends('long payloads and results outside the record', (test, backend) => {
  test('long and short values round-trip through enqueue, claim, complete, get and list', async () => {
    const { queue, client, cleanup } = openQueue(backend);
    const leases = await claimBoth(queue);
    assert.equal(leases.long.payload, LONG);
    assert.equal(leases.short.payload, SHORT);
    assert.equal(await taskKeys(client, queue), ['p:long', 't:long', 't:short'], 'only the long payload has its own key');
    assert.equal((await queue.get('long')).payload, LONG);
    assert.equal(await queue.completeMany([{ lease: leases.long, result: LONG_RESULT }, { lease: leases.short, result: 'ok' }]), [true, true]);
    const [long, short] = [await queue.get('long'), await queue.get('short')];
    assert.equal([long.payload, long.result, long.state], [LONG, LONG_RESULT, 'completed']);
    assert.equal([short.payload, short.result], [SHORT, 'ok']);
    assert.equal(await taskKeys(client, queue), ['p:long', 'r:long', 't:long', 't:short']);
    const page = await queue.list({ state: 'completed', limit: 10 });
    assert.equal(page.tasks.map((t) => t.id).sort(), ['long', 'short']);
    assert.ok(page.tasks.every((t) => t.payload === undefined && t.result === undefined), 'rows leave out payload and result');
    await cleanup();
  });

  test('the outside keys expire with the record: completed, cancelled, dead', async () => {
    const { queue, client, cleanup } = openQueue(backend, { completedRetentionMs: 60_000, deadRetentionMs: 120_000 });
    const p = queue.keys.prefix;
    const leases = await claimBoth(queue);
    await queue.complete(leases.long, LONG_RESULT);
    await queue.enqueueMany([{ id: 'cancelled', payload: LONG }, { id: 'dead', payload: LONG, lane: 'long' }]);
    assert.is(await queue.cancel('cancelled'), true);
    const [dead] = await queue.claim('long', lease);
    await queue.fail(dead, new Error('boom'), { retryable: false });
    for (const [id, outside] of [['long', ['p:', 'r:']], ['cancelled', ['p:']], ['dead', ['p:']]]) {
      const record = await client.pttl(`${p}t:${id}`);
      assert.ok(record > 0, `${id}: the record expires`);
      for (const k of outside) {
        const ttl = await client.pttl(`${p}${k}${id}`);
        assert.ok(Math.abs(ttl - record) < 1000, `${k}${id} expires with its record (${ttl} vs ${record})`);
      }
    }
    await cleanup();
  });

  test('expired records leave no outside keys behind', async () => {
    const { queue, client, cleanup } = openQueue(backend, { completedRetentionMs: 150 });
    const leases = await claimBoth(queue);
    await queue.completeMany([{ lease: leases.long, result: LONG_RESULT }, { lease: leases.short, result: 'ok' }]);
    await queue.enqueue({ id: 'cancelled', payload: LONG });
    await queue.cancel('cancelled');
    await sleep(400);
    assert.equal(await taskKeys(client, queue), []);
    await cleanup();
  });

  test('reaping past the retention count deletes the outside keys too', async () => {
    const { queue, client, cleanup } = openQueue(backend, { completedRetention: { max: 1 } });
    const leases = await claimBoth(queue);
    await queue.complete(leases.long, LONG_RESULT);
    await queue.complete(leases.short, 'ok');
    await queue.reap();
    assert.equal(await taskKeys(client, queue), ['t:short'], 'the older completed record went with its payload and result');
    assert.is(await queue.get('long'), null);
    await cleanup();
  });

  test('a zero completed retention with a long result completes the whole batch and keeps nothing', async () => {
    const { queue, client, cleanup } = openQueue(backend, { completedRetentionMs: 0 });
    const leases = await claimBoth(queue);
    const done = await queue.completeMany([{ lease: leases.short, result: SHORT }, { lease: leases.long, result: LONG_RESULT }]);
    assert.equal(done, [true, true]);
    assert.is(await client.zcard(queue.keys.active), 0, 'no lease is left active');
    assert.equal(await taskKeys(client, queue), [], 'no record, payload or result key is left');
    await cleanup();
  });

  test('dead letters show a long payload, retry with it and purge it', async () => {
    const { queue, client, cleanup } = openQueue(backend);
    const p = queue.keys.prefix;
    await queue.enqueueMany([{ id: 'long', payload: LONG }]);
    await kill(queue);
    assert.equal((await queue.deadLetters()).map((t) => t.payload), [LONG]);
    assert.equal((await queue.deadLetterPage({ maxBytes: 1 << 20 })).tasks.map((t) => t.payload), [LONG]);
    assert.is(await queue.retryDead('long'), true);
    assert.equal([await client.pttl(`${p}t:long`), await client.pttl(`${p}p:long`)], [-1, -1], 'waiting again: no expiry');
    const again = await kill(queue);
    assert.equal(again.payload, LONG, 'the replayed task runs with its payload');
    assert.is(await queue.retryAllDead(), 1);
    await kill(queue);
    assert.is(await queue.purgeDead('long'), true);
    assert.equal(await taskKeys(client, queue), []);
    await cleanup();
  });

  test('purgeAllDead deletes the outside payloads of the dead letters it purges', async () => {
    const { queue, client, cleanup } = openQueue(backend);
    await queue.enqueueMany([{ id: 'a', payload: LONG }, { id: 'b', payload: SHORT }]);
    await kill(queue);
    await kill(queue);
    assert.is(await queue.purgeAllDead(), 2, 'counts tasks, not keys');
    assert.equal(await taskKeys(client, queue), []);
    await cleanup();
  });

  test('a missing outside payload makes a corrupt record: dead-lettered, never retried', async () => {
    const { queue, client, cleanup } = openQueue(backend);
    await queue.enqueueMany([{ id: 'lost', payload: LONG }, { id: 'fine', payload: LONG }]);
    await client.del(queue.keys.payload('lost'));
    const leases = await queue.claim('short', lease);
    assert.equal(leases.map((l) => [l.id, l.payload]), [['fine', LONG]]);
    assert.is((await queue.get('lost')).state, 'dead');
    assert.is(await queue.retryDead('lost'), false, 'a dead letter without its payload cannot run');
    await cleanup();
  });

  test('a replayed claim answers the long payload again', async () => {
    const { queue, client, cleanup } = openQueue(backend);
    await queue.enqueueMany([{ id: 'long', payload: LONG }, { id: 'short', payload: SHORT }]);
    const original = client.tasklane_claim;
    const answers = [];
    client.tasklane_claim = async (...args) => {
      answers.push(await original.apply(client, args), await original.apply(client, args));
      return answers[1];
    };
    const leases = await queue.claim('short', lease);
    client.tasklane_claim = original;
    assert.equal(answers[1], answers[0], 'the replay answers field for field');
    assert.equal(leases.map((l) => l.payload), [LONG, SHORT]);
    await cleanup();
  });

  test('regression: a record of the previous layout (long payload and result inline) still runs and reaps', async () => {
    const { queue, client, cleanup } = openQueue(backend, { completedRetention: { max: 1 } });
    const key = queue.keys.task('old');
    await queue.enqueue({ id: 'old', payload: SHORT });
    await client.hset(key, 'payload', JSON.stringify(LONG)); // as the previous code wrote it
    const [l] = await queue.claim('short', lease);
    assert.equal(l.payload, LONG);
    assert.is(await queue.complete(l, 'ok'), true);
    await client.hset(key, 'res', JSON.stringify(LONG_RESULT)); // its result inline too
    assert.equal([(await queue.get('old')).payload, (await queue.get('old')).result], [LONG, LONG_RESULT]);
    await queue.enqueue({ id: 'next' });
    await queue.complete((await queue.claim('short', lease))[0], 'ok');
    await queue.reap();
    assert.equal(await taskKeys(client, queue), ['t:next']);
    await cleanup();
  });

  test('regression: an old-layout dead letter (long payload inline) is retried with its payload', async () => {
    const { queue, client, cleanup } = openQueue(backend);
    await queue.enqueue({ id: 'old', payload: SHORT });
    await client.hset(queue.keys.task('old'), 'payload', JSON.stringify(LONG));
    await kill(queue);
    assert.equal((await queue.deadLetters())[0].payload, LONG);
    assert.is(await queue.retryDead('old'), true);
    assert.equal((await queue.claim('short', lease))[0].payload, LONG);
    await cleanup();
  });
});
